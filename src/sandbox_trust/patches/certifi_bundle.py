"""``certifi.where()`` and ``certifi.contents()`` give certifi's roots plus the CA.

For code that hands certifi's path to something other than Python's ``ssl`` (pycurl, grpc,
subprocess arguments). In-process ``ssl`` users are covered by ``ssl_context`` even when this
patch cannot write a bundle, because loading certifi's own file also loads the CA there.
``where()`` never waits for a declared CA: requests calls it at import time.
"""

import certifi
import certifi.core

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _ca

_originals = {}  # (module, name) -> original function; kept after revert for bound copies
_applied = []


def where():
    original = _originals[(certifi.core, "where")]()
    if _ca.certificates(wait=False) is None:
        return original
    return _bundles.bundle_for(original) or original


def contents():
    original = _originals[(certifi.core, "contents")]()
    certificates = _ca.certificates(wait=False)
    if certificates is None:
        return original
    return _bundles.merge(original.encode("utf-8"), certificates).decode("utf-8")


_replacements = {"where": where, "contents": contents}


def _bindings():
    # certifi/__init__.py re-exports core's functions: both names must be patched.
    return [(module, name) for module in (certifi, certifi.core) for name in _replacements]


def apply():
    if _applied:
        return
    for module, name in _bindings():
        _originals.setdefault((module, name), getattr(module, name))
    for module, name in _bindings():
        setattr(module, name, _replacements[name])
    _applied.append(True)
    boot.debug("patched certifi.where and certifi.contents")


def revert():
    if not _applied:
        return
    for module, name in _bindings():
        setattr(module, name, _originals[(module, name)])
    _applied.clear()
