"""httpx2 (through httpcore2) in this process ignores an ``SSL_CERT_FILE`` that sandbox-trust introduced.

``httpcore2.default_ssl_context()`` reads ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else OpenSSL's
compiled-in paths. The exported ``SSL_CERT_FILE`` holds those same roots plus the CA, but it would
hide a user's ``SSL_CERT_DIR``. With it hidden, httpcore2 follows its own rule: the user's directory
plus the CA, else its compiled-in default (which the funnel extends with the CA).
"""

import ssl
import sys

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import add_ca, bound_everywhere, introduced, visible

httpcore2 = sys.modules["httpcore2"]  # patched right after httpcore2/__init__.py ran


def default_ssl_context(*, _trust_env=True):
    try:
        if _trust_env and introduced("SSL_CERT_FILE"):
            capath = visible("SSL_CERT_DIR")
            if capath:  # httpcore2's next choice, which verifies against that directory only
                context = ssl.create_default_context(capath=capath)
                add_ca(context)
                return context
            _trust_env = False  # the rest of httpcore2's rule: the compiled-in paths
    except Exception:
        boot.internal_error("httpcore2.default_ssl_context")
    return _original["default_ssl_context"](_trust_env=_trust_env)


# `_trust_env` is how httpcore2 2.x skips the environment; without it there is nothing to patch safely.
_takes_trust_env = "_trust_env" in httpcore2.default_ssl_context.__code__.co_varnames
_PATCH = Patch(
    "httpcore2.default_ssl_context",
    bound_everywhere("httpcore2", "default_ssl_context", default_ssl_context) if _takes_trust_env else (),
)
_original = _PATCH.original
default_ssl_context.__doc__ = httpcore2.default_ssl_context.__doc__
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
