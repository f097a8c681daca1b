"""An app's own ``Session.verify = "their-ca.pem"`` keeps working with exported variables.

requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override ``Session.verify`` for requests
that do not pass ``verify=`` themselves (docs/design.md, known trap 4). When the variable holds the
bundle sandbox-trust exports for the default roots, requests trusts exactly the same roots without it
(certifi is patched, and ``ssl_context`` adds the CA), so here the result is computed as if the
variable were absent: the session's path wins. A bundle the user chose keeps requests' rule.
"""

import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _ca
from sandbox_trust.patches import Patch

# Patched right after requests/sessions.py ran, before requests/__init__ binds ``requests.sessions``.
sessions = sys.modules["requests.sessions"]


def _is_default_export(path):
    if not isinstance(path, str):
        return False
    certificates = _ca.certificates(wait=False)
    return certificates is not None and path == _bundles.merged_default_roots(certificates)


def merge_environment_settings(self, url, proxies, stream, verify, cert):
    settings = _original["merge_environment_settings"](self, url, proxies, stream, verify, cert)
    if isinstance(self.verify, str) and (verify is None or verify is True):
        try:
            if _is_default_export(settings["verify"]):
                settings["verify"] = sessions.merge_setting(verify, self.verify)
        except Exception:
            boot.internal_error("requests.Session.merge_environment_settings")
    return settings


_PATCH = Patch(
    "requests.Session.merge_environment_settings",
    [(sessions.Session, "merge_environment_settings", merge_environment_settings)],
)
_original = _PATCH.original
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
