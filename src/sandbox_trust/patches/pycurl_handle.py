"""Every new ``pycurl.Curl`` handle verifies with the default roots plus the CA.

libcurl never reads CA variables (``CURL_CA_BUNDLE`` is the curl tool's, not the library's) and
uses the bundle path compiled into it: the manylinux wheel's is ``/etc/pki/tls/certs/ca-bundle.crt``,
missing on Debian. So a handle starts with ``CAINFO`` = merged bundle (system roots + CA). A
``CAINFO``/``CAPATH``/``CAINFO_BLOB`` the app sets itself replaces ours, as libcurl would have it.
``pycurl.Curl`` is swapped for a subclass: handles made from it are still ``pycurl.Curl`` instances.
"""

import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _ca
from sandbox_trust.patches import Patch

# Patched right after pycurl/__init__.py ran; its extension module holds the real class.
pycurl = sys.modules["pycurl"]
_original = pycurl.__dict__["Curl"]  # the base class of ours: saved by the Patch below too
_APP_TRUST_OPTIONS = frozenset((pycurl.CAINFO, pycurl.CAPATH, getattr(pycurl, "CAINFO_BLOB", pycurl.CAINFO)))


def _set_default_cainfo(handle):
    try:
        # Waits for a declared CA: a new handle is the moment trust is first needed.
        certificates = _ca.certificates()
        path = certificates is not None and _bundles.merged_default_roots(certificates)
        if path:
            _original.setopt(handle, pycurl.CAINFO, path)
            handle._sandbox_trust_cainfo = True
    except Exception:
        boot.internal_error("setting pycurl CAINFO")


class Curl(_original):
    __doc__ = _original.__doc__
    # ``_sandbox_trust_cainfo`` (True while CAINFO is ours) lives in pycurl's own attribute dict,
    # which its getattr reads only after the class: so no class-level default.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _set_default_cainfo(self)

    def setopt(self, option, value):
        if option in _APP_TRUST_OPTIONS and getattr(self, "_sandbox_trust_cainfo", False):
            # The app chose its trust: drop ours so libcurl sees only what it was given.
            self._sandbox_trust_cainfo = False
            super().unsetopt(pycurl.CAINFO)
        return super().setopt(option, value)

    def unsetopt(self, option):
        super().unsetopt(option)
        if option == pycurl.CAINFO:  # back to "the default", which here includes the CA
            _set_default_cainfo(self)

    def reset(self):
        super().reset()
        self._sandbox_trust_cainfo = False
        _set_default_cainfo(self)


Curl.__name__ = Curl.__qualname__ = "Curl"
Curl.__module__ = _original.__module__


_PATCH = Patch("pycurl.Curl", [(pycurl, "Curl", Curl)])
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
