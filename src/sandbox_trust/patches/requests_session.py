"""requests in this process ignores the CA variables sandbox-trust introduced for its children.

An exported ``REQUESTS_CA_BUNDLE`` would beat ``Session.verify = False`` or an app's own
``Session.verify = "their-ca.pem"`` (docs/design.md, known traps 4 and 7); with it hidden, requests
applies its own rules, and certifi (patched) plus ``ssl_context`` add the CA to its default roots.
"""

import sys

from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import requests_merge_environment_settings

# Patched right after requests/sessions.py ran, before requests/__init__ binds ``requests.sessions``.
sessions = sys.modules["requests.sessions"]
merge_environment_settings = requests_merge_environment_settings(
    sessions, sessions.Session.merge_environment_settings
)

_PATCH = Patch(
    "requests.Session.merge_environment_settings",
    [(sessions.Session, "merge_environment_settings", merge_environment_settings)],
)
_original = _PATCH.original
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
