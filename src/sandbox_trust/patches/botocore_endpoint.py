"""botocore in this process ignores the ``AWS_CA_BUNDLE`` and ``REQUESTS_CA_BUNDLE`` sandbox-trust introduced.

botocore's ``verify`` is: the client's ``verify=``, else ``ca_bundle`` (config, ``AWS_CA_BUNDLE``),
else ``REQUESTS_CA_BUNDLE``, else certifi (``botocore.httpsession.where``, which the certifi patch
extends with the CA). With the introduced values hidden it follows that rule unchanged.
"""

import os
import sys

import botocore.configprovider  # needs only modules that botocore.endpoint loaded already

import _sandbox_trust_boot as boot
from sandbox_trust.patches import Patch
from sandbox_trust.patches._environment import introduced

# Patched right after botocore/endpoint.py ran, before the package binds it as an attribute.
endpoint = sys.modules["botocore.endpoint"]


def _get_verify_value(self, verify):
    try:
        if verify is None and introduced("REQUESTS_CA_BUNDLE"):
            verify = True  # botocore's default when the variable is unset
    except Exception:
        boot.internal_error("botocore EndpointCreator._get_verify_value")
    return _original["_get_verify_value"](self, verify)


def provide(self):
    value = _original["provide"](self)
    try:
        if value is not None and self._name in boot.EXPORTED_VARIABLES and introduced(self._name):
            if value == os.environ.get(self._name):
                return None  # as if the variable were unset: the next provider in the chain decides
    except Exception:
        boot.internal_error("botocore EnvironmentProvider.provide")
    return value


PATCH = Patch(
    "botocore EndpointCreator._get_verify_value and EnvironmentProvider.provide",
    [
        (endpoint.EndpointCreator, "_get_verify_value", _get_verify_value),
        (botocore.configprovider.EnvironmentProvider, "provide", provide),
    ],
)
_original = PATCH.original
