"""``certifi.where()`` and ``certifi.contents()`` give certifi's roots plus the CA.

For code that hands certifi's path to something other than Python's ``ssl`` (pycurl, grpc,
subprocess arguments). In-process ``ssl`` users are covered by ``ssl_context`` even when this
patch cannot write a bundle, because loading certifi's own file also loads the CA there.
``where()`` never waits for a declared CA: requests calls it at import time.
"""

import certifi
import certifi.core

from sandbox_trust import _bundles, _ca
from sandbox_trust.patches import Patch


def where():
    original = _original["where"]()
    certificates = _ca.certificates(wait=False)
    if certificates is None:
        return original
    return _bundles.bundle_for(original, certificates) or original


def contents():
    original = _original["contents"]()
    certificates = _ca.certificates(wait=False)
    if certificates is None:
        return original
    return _bundles.merge(original.encode("utf-8"), certificates).decode("utf-8")


# certifi/__init__.py re-exports core's functions: both names must be patched.
PATCH = Patch(
    "certifi.where and certifi.contents",
    [
        (module, name, new)
        for module in (certifi.core, certifi)
        for name, new in (("where", where), ("contents", contents))
    ],
)
_original = PATCH.original
