"""httpx in this process ignores an ``SSL_CERT_FILE`` that sandbox-trust introduced.

httpx reads ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else loads ``certifi.where()``. The exported
``SSL_CERT_FILE`` extends OpenSSL's default (the system bundle), not httpx's (certifi), and it would
hide a user's ``SSL_CERT_DIR`` (known trap 7). With it hidden, httpx follows its own rule: the user's
directory plus the CA, else certifi (patched) plus the CA. A value the user set is left to httpx.
"""

from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import bound_everywhere, create_ssl_context_without_introduced_file

# Patched right after httpx/__init__.py ran: every module bound the name.
create_ssl_context = create_ssl_context_without_introduced_file(
    "httpx.create_ssl_context", lambda: _original["create_ssl_context"]
)
PATCH = Patch("httpx.create_ssl_context", bound_everywhere("httpx", "create_ssl_context", create_ssl_context))
_original = PATCH.original
create_ssl_context.__doc__ = _original["create_ssl_context"].__doc__
