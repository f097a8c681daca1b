"""One module per patched library; each has ``apply()`` and ``revert()``, both idempotent.

A patch module is imported only when its target has been imported (see
``_sandbox_trust_boot.PATCH_TARGETS``), so it may import its target freely.
"""

import importlib


def _module(name):
    return importlib.import_module("sandbox_trust.patches." + name)


def apply(name):
    _module(name).apply()


def revert(name):
    _module(name).revert()
