"""requests in this process ignores the CA variables sandbox-trust introduced for its children.

An exported ``REQUESTS_CA_BUNDLE`` would beat ``Session.verify = False`` or an app's own
``Session.verify = "their-ca.pem"`` (docs/design.md, known traps 4 and 7); with it hidden, requests
applies its own rules, and certifi (patched) plus ``ssl_context`` add the CA to its default roots.
Patched right after requests/sessions.py ran, before requests/__init__ binds ``requests.sessions``.
"""

from sandbox_trust.patches._environment import requests_session_patch

PATCH = requests_session_patch("requests.sessions")
