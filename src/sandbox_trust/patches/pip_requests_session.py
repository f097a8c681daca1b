"""pip's vendored requests ignores the CA variables sandbox-trust introduced, as top-level requests.

The same code as requests' (known trap 7): an exported ``REQUESTS_CA_BUNDLE`` would beat pip's
``session.verify``, which holds ``--cert``, ``PIP_CERT`` or the config file's ``cert``. pip's own
default trust (truststore, else its vendored certifi) gains the CA through ``ssl_context``.
"""

from sandbox_trust.patches._environment import requests_session_patch

_PATCH = requests_session_patch("pip._vendor.requests.sessions")
_original = _PATCH.original
merge_environment_settings = _PATCH.replacements[0][2]
apply, revert, is_applied = _PATCH.apply, _PATCH.revert, _PATCH.is_applied
