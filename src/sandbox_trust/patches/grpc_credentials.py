"""``grpc.ssl_channel_credentials()`` with default roots trusts the CA, exported variables or not.

grpc's C core reads its default roots once per process: ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` (which
start-up exports for children as grpc's bundled roots plus the CA), else the ``roots.pem`` shipped in
the wheel. With export off (or a CA that landed after the core read them) only explicit roots can add
the CA, so a call that asks for the defaults gets grpc's own defaults plus the CA, as bytes: the
user's variable if they set one, else the bundled roots, never a value sandbox-trust introduced.
Explicit roots are untouched.
"""

import os
import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _ca
from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import visible

grpc = sys.modules["grpc"]  # patched right after grpc/__init__.py ran
_ROOTS_VARIABLE = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"
_merged = {}  # default roots file -> its bytes plus the CA, once per process


def _bundled_roots():
    return os.path.join(os.path.dirname(grpc.__file__), "_cython", "_credentials", "roots.pem")


def _default_roots_with_ca():
    """grpc's default roots plus the CA (PEM bytes), or ``None`` to leave grpc's defaults alone."""
    certificates = _ca.certificates()  # a channel's credentials: the moment trust is needed
    if certificates is None:
        return None
    base = visible(_ROOTS_VARIABLE) or _bundled_roots()
    if base not in _merged:  # a user's file may be a FIFO or a device: read it without blocking
        _merged[base] = _bundles.merge(_bundles.read_file(base), certificates)
    return _merged[base]


def ssl_channel_credentials(root_certificates=None, private_key=None, certificate_chain=None):
    if root_certificates is None:
        try:
            root_certificates = _default_roots_with_ca()
        except Exception:
            boot.internal_error("adding the CA to grpc's default roots")
    return _original["ssl_channel_credentials"](root_certificates, private_key, certificate_chain)


PATCH = Patch("grpc.ssl_channel_credentials", [(grpc, "ssl_channel_credentials", ssl_channel_credentials)])
_original = PATCH.original
ssl_channel_credentials.__doc__ = _original["ssl_channel_credentials"].__doc__
