"""An app's own ``Session.verify = "their-ca.pem"`` keeps working with exported variables.

requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override ``Session.verify`` for requests
that do not pass ``verify=`` themselves (trust-matrix trap 4). When the variable holds the bundle
sandbox-trust exports for the default roots, requests trusts exactly the same roots without it
(certifi is patched, and ``ssl_context`` adds the CA), so here the result is computed as if the
variable were absent: the session's path wins. A bundle the user chose keeps requests' rule.
"""

import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles

# Patched right after requests/sessions.py ran, before requests/__init__ binds ``requests.sessions``.
sessions = sys.modules["requests.sessions"]
_original = sessions.Session.__dict__["merge_environment_settings"]


def _is_default_export(path):
    return isinstance(path, str) and path == _bundles.default_roots_bundle()


def merge_environment_settings(self, url, proxies, stream, verify, cert):
    settings = _original(self, url, proxies, stream, verify, cert)
    if isinstance(self.verify, str) and (verify is None or verify is True):
        try:
            if _is_default_export(settings["verify"]):
                settings["verify"] = sessions.merge_setting(verify, self.verify)
        except Exception:
            boot.internal_error("requests.Session.merge_environment_settings")
    return settings


def apply():
    sessions.Session.merge_environment_settings = merge_environment_settings
    boot.debug("patched requests.Session.merge_environment_settings")


def revert():
    sessions.Session.merge_environment_settings = _original
