"""One module per patched library; each has ``apply()`` and ``revert()``, both idempotent.

A patch module is imported only when its target has been imported (see
``_sandbox_trust_boot.PATCH_TARGETS``), so it may import its target freely.
"""

import sys


def _module(name):
    module = "sandbox_trust.patches." + name
    __import__(module)  # not importlib.import_module: importlib/__init__ is not loaded at start
    return sys.modules[module]


def apply(name):
    _module(name).apply()


def revert(name):
    _module(name).revert()
