"""pip's vendored requests ignores the CA variables sandbox-trust introduced, as top-level requests.

The same code as requests' (known trap 7): an exported ``REQUESTS_CA_BUNDLE`` would beat pip's
``session.verify``, which holds ``--cert``, ``PIP_CERT`` or the config file's ``cert``. pip's own
default trust (truststore, else its vendored certifi) gains the CA through ``ssl_context``.
"""

from sandbox_trust.patches._environment import requests_session_patch

PATCH = requests_session_patch("pip._vendor.requests.sessions")
