"""Every new ``pycurl.Curl`` handle verifies with the default roots plus the CA.

libcurl never reads CA variables (``CURL_CA_BUNDLE`` is the curl tool's, not the library's) and
uses the bundle path compiled into it: the manylinux wheel's is ``/etc/pki/tls/certs/ca-bundle.crt``,
missing on Debian. So a handle starts with ``CAINFO`` = merged bundle (system roots + CA). A
``CAINFO``/``CAPATH``/``CAINFO_BLOB`` the app sets itself, with ``setopt`` or ``setopt_string``,
replaces ours, as libcurl would have it (``set_ca_certs`` adds to the store, as it does to
libcurl's default, so ours stays).
``pycurl.Curl`` is swapped for a subclass: handles made from it are still ``pycurl.Curl`` instances.
"""

import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _ca
from sandbox_trust.patches import Patch

# Patched right after pycurl/__init__.py ran; its extension module holds the real class.
pycurl = sys.modules["pycurl"]
_BaseCurl = pycurl.__dict__["Curl"]  # the base class of ours: saved by the Patch below too
_APP_TRUST_OPTIONS = frozenset((pycurl.CAINFO, pycurl.CAPATH, getattr(pycurl, "CAINFO_BLOB", pycurl.CAINFO)))


def _is_trust_option(option):
    try:
        return option in _APP_TRUST_OPTIONS
    except TypeError:  # unhashable: pycurl raises its own error for it
        return False


def _set_default_cainfo(handle):
    try:
        # Waits for a declared CA: a new handle is the moment trust is first needed.
        certificates = _ca.certificates()
        path = certificates is not None and _bundles.merged_default_roots(certificates)
        if path:
            _BaseCurl.setopt(handle, pycurl.CAINFO, path)
            handle._sandbox_trust_cainfo = True
    except Exception:
        boot.internal_error("setting pycurl CAINFO")


class Curl(_BaseCurl):
    __doc__ = _BaseCurl.__doc__
    # ``_sandbox_trust_cainfo`` (True while CAINFO is ours) lives in pycurl's own attribute dict,
    # which its getattr reads only after the class: so no class-level default.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _set_default_cainfo(self)

    def _app_chose_trust(self, option):
        """Called before an app's option is set: its own trust drops ours, so libcurl sees only it."""
        if _is_trust_option(option) and getattr(self, "_sandbox_trust_cainfo", False):
            self._sandbox_trust_cainfo = False
            super().unsetopt(pycurl.CAINFO)

    def setopt(self, option, value):
        self._app_chose_trust(option)
        return super().setopt(option, value)

    def setopt_string(self, option, value):
        self._app_chose_trust(option)
        return super().setopt_string(option, value)

    def unsetopt(self, option):
        super().unsetopt(option)
        if option == pycurl.CAINFO:  # back to "the default", which here includes the CA
            _set_default_cainfo(self)

    def reset(self):
        super().reset()
        self._sandbox_trust_cainfo = False
        _set_default_cainfo(self)


if not hasattr(_BaseCurl, "setopt_string"):  # older pycurl: no such method, so none of ours either
    del Curl.setopt_string
Curl.__name__ = Curl.__qualname__ = "Curl"
Curl.__module__ = _BaseCurl.__module__


PATCH = Patch("pycurl.Curl", [(pycurl, "Curl", Curl)])
