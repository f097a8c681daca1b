"""httpx in this process ignores an ``SSL_CERT_FILE`` that sandbox-trust introduced.

httpx reads ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else loads ``certifi.where()``. The exported
``SSL_CERT_FILE`` extends OpenSSL's default (the system bundle), not httpx's (certifi), and it would
hide a user's ``SSL_CERT_DIR`` (known trap 7). With it hidden, httpx follows its own rule: the user's
directory plus the CA, else certifi (patched) plus the CA. A value the user set is left to httpx.
"""

import ssl
import sys

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import add_ca, bound_everywhere, introduced, visible

httpx = sys.modules["httpx"]  # patched right after httpx/__init__.py ran: every module bound the name


def create_ssl_context(verify=True, cert=None, trust_env=True):
    if verify is True and trust_env:
        try:
            if introduced("SSL_CERT_FILE"):
                capath = visible("SSL_CERT_DIR")
                if capath:  # httpx's next choice, which verifies against that directory only
                    verify = ssl.create_default_context(capath=capath)
                    add_ca(verify)
                else:
                    trust_env = False  # the rest of httpx's rule: certifi
        except Exception:
            boot.internal_error("httpx.create_ssl_context")
    return _original["create_ssl_context"](verify, cert, trust_env)


_PATCH = Patch(
    "httpx.create_ssl_context", bound_everywhere("httpx", "create_ssl_context", create_ssl_context)
)
_original = _PATCH.original
create_ssl_context.__doc__ = _original["create_ssl_context"].__doc__
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
