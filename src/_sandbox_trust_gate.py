# sandbox-trust's start-up gate: is there anything to do in this process? Both startup files name it:
# ``sandbox_trust.pth`` (``import _sandbox_trust_gate``; CPython 3.10-3.14, and 3.15 without the
# ``.start``) and ``sandbox_trust.start`` (``_sandbox_trust_gate:start``, PEP 829: 3.15 runs it and then
# skips the ``.pth`` import line). Importing this module makes the checks and imports the boot module,
# whose import starts sandbox-trust, only when there may be something to do: the CA file exists,
# interception is declared, or an opted-out child has a parent's exports to undo. Three variable reads
# and one stat, nothing imported that ``site`` has not imported: a compiled module is cheaper than the
# same checks in a ``.pth`` line, which ``site`` tokenises and compiles at every start, twice in a venv
# before 3.15 (docs/design.md, "Startup"). The tests of ``tests/test_fuzz.py`` hold these checks to
# ``boot.read_settings``. Comments, not docstrings: this module is loaded at every start.

import os

# os.environ's own dict, bytes to bytes (CPython on POSIX): an unset name costs one dict miss, where
# os.getenv raises and catches two KeyErrors (docs/design.md, "Startup"). Where it is keyed by str
# (Windows) or missing, nothing is found: the package serves Linux only (README, "Supported").
_get = getattr(os.environ, "_data", {}).get
if _get(b"SANDBOX_TRUST_DISABLE") == b"1":
    if _get(b"SANDBOX_TRUST_EXPORTED"):
        import _sandbox_trust_boot  # noqa: F401 - opted out: puts back what a parent exported
elif _get(b"SANDBOX_INTERCEPT_HTTPS") == b"1" or os.path.exists(
    _get(b"SANDBOX_CA_CERT") or b"/etc/cloudflare/certs/cloudflare-containers-ca.crt"
):
    import _sandbox_trust_boot  # noqa: F401 - importing it starts sandbox-trust


# The entry point ``site`` calls on 3.15: the work was done when it imported this module, above.
def start():
    pass
