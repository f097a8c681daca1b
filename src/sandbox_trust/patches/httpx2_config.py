"""httpx2 before 2.15 in this process ignores an ``SSL_CERT_FILE`` that sandbox-trust introduced.

httpx2 2.14 (the last for Python 3.10) builds its context as httpx does, in its own
``create_ssl_context``: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else truststore. It gets httpx's
patch. From 2.15 on that function asks ``httpcore2.default_ssl_context``, which ``httpcore2_ssl``
patches, and there is nothing to do here.
"""

import sys

from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import bound_everywhere, create_ssl_context_without_introduced_file

httpx2 = sys.modules["httpx2"]  # patched right after httpx2/__init__.py ran: every module bound the name

create_ssl_context = create_ssl_context_without_introduced_file(
    "httpx2.create_ssl_context", lambda: _original["create_ssl_context"]
)
# The function reads the variable itself (2.14) rather than through httpcore2 (2.15 and later).
_code = getattr(getattr(httpx2, "create_ssl_context", None), "__code__", None)
_reads_environment = _code is not None and "SSL_CERT_FILE" in _code.co_consts
PATCH = Patch(
    "httpx2.create_ssl_context",
    bound_everywhere("httpx2", "create_ssl_context", create_ssl_context) if _reads_environment else (),
)
_original = PATCH.original
