"""httpx2 (through httpcore2) in this process ignores an ``SSL_CERT_FILE`` that sandbox-trust introduced.

``httpcore2.default_ssl_context()`` reads ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else OpenSSL's
compiled-in paths. The exported ``SSL_CERT_FILE`` holds those same roots plus the CA, but it would
hide a user's ``SSL_CERT_DIR``. With it hidden, httpcore2 follows its own rule: the user's directory
plus the CA, else its compiled-in default (which the funnel extends with the CA).

httpcore2 2.14 (the last for Python 3.10) has no ``_trust_env``: its rule is ``SSL_CERT_FILE``,
else ``SSL_CERT_DIR``, else ``truststore.SSLContext(PROTOCOL_TLS_CLIENT)``, and the patch takes
that last branch itself when the file is the one sandbox-trust introduced.
"""

import ssl
import sys

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import bound_everywhere, cert_dir_context, introduced

httpcore2 = sys.modules["httpcore2"]  # patched right after httpcore2/__init__.py ran


def default_ssl_context(*, _trust_env=True):
    try:
        if _trust_env and introduced("SSL_CERT_FILE"):
            context = cert_dir_context()  # httpcore2's next choice: the user's SSL_CERT_DIR
            if context is not None:
                return context
            _trust_env = False  # the rest of httpcore2's rule: the compiled-in paths
    except Exception:
        boot.internal_error("httpcore2.default_ssl_context")
    return _original["default_ssl_context"](_trust_env=_trust_env)


def _default_ssl_context_2_14():
    try:
        if introduced("SSL_CERT_FILE"):
            context = cert_dir_context()  # httpcore2's next choice: the user's SSL_CERT_DIR
            if context is None:
                import truststore  # httpcore2 2.14 depends on it: its default without the variables

                context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            return context
    except Exception:
        boot.internal_error("httpcore2.default_ssl_context")
    return _original["default_ssl_context"]()


def _replacement():
    """``_trust_env`` is how httpcore2 2.15+ skips the environment; 2.14 reads the variables and falls
    back to truststore (above); any other shape is left alone (None)."""
    code = httpcore2.default_ssl_context.__code__
    if "_trust_env" in code.co_varnames:
        return default_ssl_context
    return _default_ssl_context_2_14 if "SSL_CERT_FILE" in code.co_consts else None


_REPLACEMENT = _replacement()
PATCH = Patch(
    "httpcore2.default_ssl_context",
    bound_everywhere("httpcore2", "default_ssl_context", _REPLACEMENT) if _REPLACEMENT else (),
)
_original = PATCH.original
if _REPLACEMENT is not None:
    _REPLACEMENT.__doc__ = httpcore2.default_ssl_context.__doc__
