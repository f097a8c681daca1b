"""What start-up says about its own decisions: switches that act as unset, and the debug lines.

The boot module runs in every process, and every line of code in it is loaded at every start
(docs/design.md, "Startup"). What only ``SANDBOX_TRUST_DEBUG=1`` or ``sandbox-trust status`` needs
lives here, imported by those alone.
"""

import _sandbox_trust_boot as boot

# Switches that are on for exactly "1" (SANDBOX_TRUST_EXPORT_ENV, LAZY_ROOTS, REPAIR_CA: off for "0").
SWITCHES = (
    "SANDBOX_INTERCEPT_HTTPS",
    "SANDBOX_TRUST_DISABLE",
    "SANDBOX_TRUST_DEBUG",
    "SANDBOX_TRUST_EXPORT_ENV",
    "SANDBOX_TRUST_LAZY_ROOTS",
    "SANDBOX_TRUST_REPAIR_CA",
)


def ignored_settings(environ=None):
    """``((variable, value, accepted values), ...)`` for each value that acts as unset."""
    get = boot.getenv if environ is None else environ.get
    found = []
    for name in SWITCHES:
        value = get(name)
        if value not in (None, "", "0", "1"):  # "" is as good as unset
            found.append((name, value, ("1", "0")))
    timeout = get("SANDBOX_TRUST_TIMEOUT")
    if boot.parse_timeout(timeout)[1]:  # garbage, inf, nan, negative or above the bound
        found.append(
            ("SANDBOX_TRUST_TIMEOUT", timeout, ("a number of seconds from 0 to %d" % boot.MAX_TIMEOUT,))
        )
    return tuple(found)


def debug_start(present):
    """The debug lines of ``boot()``: what it found, and which switches it ignored."""
    settings = boot.settings
    declared = ", interception declared" if settings.declared else ""
    boot.debug("CA %s: %s%s" % (settings.ca_path, "present" if present else "absent", declared))
    ignored = ignored_settings()
    if ignored:
        boot.debug(
            "ignored, as if unset: %s"
            % "; ".join("%s=%r (accepted: %s)" % (n, v, " or ".join(a)) for n, v, a in ignored)
        )


def debug_exports(changed):
    """The debug line of ``export_environment``: ``changed`` maps each variable set to its bundle."""
    extended = [name for name in changed if boot.original(name)]  # the user had set these
    boot.debug(
        "exported %d variable(s), %d created, %d extended from your value%s; bundles: %s"
        % (
            len(changed),
            len(changed) - len(extended),
            len(extended),
            " (%s)" % ", ".join(extended) if extended else "",
            ", ".join(sorted(set(changed.values()))) or "none new (already set, e.g. by a parent)",
        )
    )
