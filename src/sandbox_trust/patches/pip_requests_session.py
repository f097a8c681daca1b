"""pip's vendored requests ignores the CA variables sandbox-trust introduced, as top-level requests.

The same code as requests' (known trap 7): an exported ``REQUESTS_CA_BUNDLE`` would beat pip's
``session.verify``, which holds ``--cert``, ``PIP_CERT`` or the config file's ``cert``. pip's own
default trust (truststore, else its vendored certifi) gains the CA through ``ssl_context``.
"""

import sys

from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import requests_merge_environment_settings

# Patched right after pip/_vendor/requests/sessions.py ran.
sessions = sys.modules["pip._vendor.requests.sessions"]
merge_environment_settings = requests_merge_environment_settings(
    sessions, sessions.Session.merge_environment_settings
)

_PATCH = Patch(
    "pip._vendor.requests.Session.merge_environment_settings",
    [(sessions.Session, "merge_environment_settings", merge_environment_settings)],
)
_original = _PATCH.original
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
