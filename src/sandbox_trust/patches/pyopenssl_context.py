"""pyOpenSSL: default paths as stock loads them; the CA for clients only, at the client-side moment.

pyOpenSSL (and Twisted, Scrapy, urllib3's pyOpenSSL contrib on it) runs cryptography's own
OpenSSL, whose ``SSL_CTX_set_default_verify_paths`` reads SSL_CERT_FILE from the process
environment: the merged bundle exported for children, CA included. A server verifying client
certificates with ``Context.set_default_verify_paths()`` would then accept one issued by the CA.

So ``Context.set_default_verify_paths`` loads what stock pyOpenSSL loads from the user's own
values (``patches.openssl_user_paths``): their SSL_CERT_FILE, else the compiled-in default
file, skipped silently when it cannot be loaded; their SSL_CERT_DIR, else the compiled-in default
directory; and pyOpenSSL's own fallback (the distributions' bundle paths) for cryptography's
manylinux wheels, whose compiled-in paths do not exist, decided on the user's values as pyOpenSSL
decides it on ``os.environ``. Never the CA there.

The CA is added when a connection of a context that loaded the default paths takes the client
role (``Connection.set_connect_state`` / ``connect``; ``connect_ex`` calls the former), unless
that context already served (``set_accept_state``, ``accept``): reach for clients, never servers.
"""

import os

from OpenSSL import SSL

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch, openssl_user_paths

_STATE = "_sandbox_trust_state"  # on a Context: one of the three below
_DEFAULTS = "defaults"  # loaded the default paths: a client connection of it adds the CA
_CA_ADDED = "ca"
_SERVED = "served"  # a server connection used it: it never gains the CA


def _compiled(function):
    return os.fsdecode(SSL._ffi.string(function()))


def _manylinux_wheel():
    """pyOpenSSL's own test: cryptography's wheel, whose compiled-in paths do not exist."""
    directory = getattr(SSL, "_CRYPTOGRAPHY_MANYLINUX_CA_DIR", None)
    file = getattr(SSL, "_CRYPTOGRAPHY_MANYLINUX_CA_FILE", None)
    return (
        directory is not None
        and SSL._ffi.string(SSL._lib.X509_get_default_cert_dir()) == directory
        and SSL._ffi.string(SSL._lib.X509_get_default_cert_file()) == file
    )


def _load_as_stock(context, cafile, capath):
    """``set_default_verify_paths`` of stock pyOpenSSL, had SSL_CERT_FILE / SSL_CERT_DIR held
    ``cafile`` / ``capath`` (None: unset)."""
    load = SSL.Context.load_verify_locations
    file = _compiled(SSL._lib.X509_get_default_cert_file) if cafile is None else cafile
    directory = _compiled(SSL._lib.X509_get_default_cert_dir) if capath is None else capath
    if file:  # OpenSSL skips a default file it cannot load ("" loads nothing)
        try:
            load(context, file)
        except SSL.Error:
            pass
    if directory:  # added as a lookup even when missing; "" adds none
        try:
            load(context, None, directory)
        except SSL.Error:
            pass
    fallback = getattr(context, "_fallback_default_verify_paths", None)
    if cafile is None and capath is None and fallback is not None and _manylinux_wheel():
        fallback(SSL._CERTIFICATE_FILE_LOCATIONS, SSL._CERTIFICATE_PATH_LOCATIONS)


def set_default_verify_paths(self):
    user = None
    try:
        user = openssl_user_paths()
    except Exception:
        boot.internal_error("reading the user's OpenSSL paths for pyOpenSSL")
    if user is None:
        _original["set_default_verify_paths"](self)
    else:
        _load_as_stock(self, *user)
    try:
        if getattr(self, _STATE, None) is None:
            setattr(self, _STATE, _DEFAULTS)
    except AttributeError:  # a subclass with __slots__: no CA, as stock
        pass


def _as_client(connection):
    try:
        context = connection.get_context()
        if getattr(context, _STATE, None) != _DEFAULTS:
            return
        setattr(context, _STATE, _CA_ADDED)
        from cryptography import x509
        from OpenSSL import crypto

        from sandbox_trust import _ca

        found = _ca.certificates()  # waits for a declared CA, as a client context does
        if found is None:
            return
        store = context.get_cert_store()
        for der in found.der:
            try:
                store.add_cert(crypto.X509.from_cryptography(x509.load_der_x509_certificate(der)))
            except (crypto.Error, ValueError):
                pass  # one OpenSSL refuses: the others still count, as for Python's ssl
        boot.debug("added the CA to a pyOpenSSL context at its first client connection")
    except Exception:
        boot.internal_error("adding the CA to a pyOpenSSL client context")


def _as_server(connection):
    try:
        context = connection.get_context()
        state = getattr(context, _STATE, None)
        if state == _CA_ADDED:
            boot.warn("a pyOpenSSL context that trusts the CA for its client connections now also serves: its client certificates may be issued by the CA (use one context per role)")
        elif state != _SERVED:
            setattr(context, _STATE, _SERVED)
    except Exception:
        boot.internal_error("marking a pyOpenSSL server context")


def set_connect_state(self):
    _as_client(self)
    return _original["set_connect_state"](self)


def connect(self, addr):
    _as_client(self)
    return _original["connect"](self, addr)


def set_accept_state(self):
    _as_server(self)
    return _original["set_accept_state"](self)


PATCH = Patch(
    "OpenSSL.SSL (Context.set_default_verify_paths, Connection client and server states)",
    (
        (SSL.Context, "set_default_verify_paths", set_default_verify_paths),
        (SSL.Connection, "set_connect_state", set_connect_state),
        (SSL.Connection, "connect", connect),
        (SSL.Connection, "set_accept_state", set_accept_state),
    ),
)
_original = PATCH.original
