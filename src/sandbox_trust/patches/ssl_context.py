"""Every client ``ssl.SSLContext`` that loads the default public roots also loads the CA.

Whatever a library does, its trust ends in one of two ``SSLContext`` methods: the system roots
through ``set_default_verify_paths`` (``create_default_context``, ``load_default_certs``, urllib,
http.client, urllib3, aiohttp, websockets, tornado, truststore on Linux, pip) or a bundle file
through ``load_verify_locations`` (certifi in requests, httpx, botocore, pip's vendored copy).
Patching those two methods on the class reaches every instance and every module that bound the
class by name, without replacing the class (trust-matrix traps 1 and 2).

Never weaker: the CA is only *added*, and only to contexts that verify servers; a context made
for the server side (PROTOCOL_TLS_SERVER, or default certs for Purpose.CLIENT_AUTH) never gets it,
not even through a merged bundle exported in SSL_CERT_FILE: it is loaded without the CA.
A ``load_verify_locations`` of any other file (an app's own pinned CA) is left exactly as asked.
"""

import os
import ssl
import sys

import _sandbox_trust_boot as boot

_PATCHED = ("set_default_verify_paths", "load_default_certs", "load_verify_locations")
_MISSING = object()
_originals = {}  # name -> what SSLContext.__dict__ held before apply() (or _MISSING)
_unpatched = {}  # name -> the callable in effect before apply(); kept for calls in flight

_CERTIFI_BUNDLE_SUFFIX = os.sep + os.path.join("certifi", "cacert.pem")


def _default_root_locations():
    """Files and directories that hold the default public roots on this machine."""
    paths = set(boot.SYSTEM_BUNDLE_CANDIDATES)
    paths.update(("/etc/ssl/certs", "/etc/pki/tls/certs"))
    defaults = ssl.get_default_verify_paths()
    paths.update(filter(None, (defaults.openssl_cafile, defaults.openssl_capath)))
    return frozenset(paths)


_DEFAULT_ROOT_LOCATIONS = _default_root_locations()


def loads_default_roots(cafile, capath):
    """True when a ``load_verify_locations`` call loads the public roots (system or certifi)."""
    for location in (cafile, capath):
        if location is None:
            continue
        location = os.fsdecode(location)
        if location in _DEFAULT_ROOT_LOCATIONS or location.endswith(_CERTIFI_BUNDLE_SUFFIX):
            return True
    return False


def _verifies_servers(context):
    # PROTOCOL_TLS (deprecated, role-less) counts as a client: urllib3 1.x builds its clients so.
    return context.protocol != ssl.PROTOCOL_TLS_SERVER


def _add_ca(context):
    try:
        # Here, not at import: asyncio and many programs import ssl and never verify a server.
        from sandbox_trust import _ca

        _ca.load_into(context, _unpatched["load_verify_locations"])
    except Exception:
        boot.internal_error("adding the CA to an SSLContext")


def _server_cadata(path):
    """``path`` without the certificates sandbox-trust merged in, when it is one of its bundles.

    Server contexts load a bundle of ours when SSL_CERT_FILE was exported (by this process or a
    parent) or when they pass ``certifi.where()``; they must see only what the base held.
    """
    from sandbox_trust import _bundles  # server contexts only: client paths never need it

    try:
        with open(path, "rb") as f:
            data = f.read(_bundles.MAX_BASE_BYTES + 1)
    except OSError:
        return None
    if _bundles.MARKER not in data:
        return None
    return _bundles.unmerge(data).decode("ascii", "replace")


def _load_for_server(context, cafile=None, capath=None, cadata=None):
    stripped = _server_cadata(os.fsdecode(cafile)) if cafile is not None else None
    if stripped is None:
        return _unpatched["load_verify_locations"](context, cafile, capath, cadata)
    if stripped.strip():
        _unpatched["load_verify_locations"](context, cadata=stripped)
    if capath is not None or cadata is not None:
        _unpatched["load_verify_locations"](context, None, capath, cadata)


def _set_server_default_paths(context):
    """OpenSSL's default paths for a server context, minus an exported bundle's CA."""
    cafile = os.environ.get("SSL_CERT_FILE")
    if not cafile or _server_cadata(cafile) is None:
        return _unpatched["set_default_verify_paths"](context)
    capath = os.environ.get("SSL_CERT_DIR") or ssl.get_default_verify_paths().openssl_capath
    _load_for_server(context, cafile=cafile)
    if capath and os.path.isdir(capath):  # OpenSSL skips a missing default directory too
        _unpatched["load_verify_locations"](context, capath=capath)


def set_default_verify_paths(self):
    if not _verifies_servers(self):
        return _set_server_default_paths(self)
    _unpatched["set_default_verify_paths"](self)
    _add_ca(self)


def load_default_certs(self, purpose=ssl.Purpose.SERVER_AUTH):
    if purpose == ssl.Purpose.SERVER_AUTH:
        return _unpatched["load_default_certs"](self, purpose)
    # Roots that verify *clients* (server side): the stdlib body, with the unpatched path loader.
    if not isinstance(purpose, ssl._ASN1Object):
        raise TypeError(purpose)
    if sys.platform == "win32":
        for storename in self._windows_cert_stores:
            self._load_windows_store_certs(storename, purpose)
    _set_server_default_paths(self)


def load_verify_locations(self, cafile=None, capath=None, cadata=None):
    if not _verifies_servers(self):
        return _load_for_server(self, cafile, capath, cadata)
    _unpatched["load_verify_locations"](self, cafile, capath, cadata)
    if loads_default_roots(cafile, capath):
        _add_ca(self)


_replacements = {
    "set_default_verify_paths": set_default_verify_paths,
    "load_default_certs": load_default_certs,
    "load_verify_locations": load_verify_locations,
}


def is_applied():
    return all(ssl.SSLContext.__dict__.get(name) is _replacements[name] for name in _PATCHED)


def apply():
    if _originals:
        return
    for name in _PATCHED:
        _originals[name] = ssl.SSLContext.__dict__.get(name, _MISSING)
        _unpatched[name] = getattr(ssl.SSLContext, name)
    for name in _PATCHED:
        setattr(ssl.SSLContext, name, _replacements[name])
    boot.debug("patched ssl.SSLContext (%s)" % ", ".join(_PATCHED))


def revert():
    if not _originals:
        return
    for name in _PATCHED:
        original = _originals.pop(name)
        if original is _MISSING:
            delattr(ssl.SSLContext, name)  # it was inherited from _ssl._SSLContext
        else:
            setattr(ssl.SSLContext, name, original)
