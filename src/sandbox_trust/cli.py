"""Command line: ``sandbox-trust status|env|wait|install|demo`` (also ``python -m sandbox_trust``).

Argument parsing, output formats and exit codes; what is reported comes from ``_status``.
"""

import argparse
import json
import os
import sys
import textwrap

import _sandbox_trust_boot as boot
from sandbox_trust import __version__
from sandbox_trust._status import collect_status, environ_before_start, planned_bundles, wait_for_ca

# --- output --------------------------------------------------------------------------------


def format_status(report):
    row = "%-13s %s"
    state = "active" if report["active"] else "inactive"
    if report["disabled"]:
        state += " (SANDBOX_TRUST_DISABLE=1)"
    elif not report["ca_present"] and not report["declared"]:
        state += " (no CA, interception not declared: nothing to do)"
    ca = "present" if report["ca_present"] else "absent"
    if report["declared"]:
        ca += ", interception declared"
    lines = [
        "sandbox-trust %s on Python %s: %s" % (report["version"], report["python"], state),
        row % ("startup file", report["pth"] or "not installed in this interpreter"),
        row % ("CA file", "%s (%s)" % (report["ca_path"], ca)),
    ]
    for certificate in report["certificates"]:
        issues = [
            "%s %s%s" % (issue["extension"], issue["problem"], " (3.13 strict)" * issue["strict_only"])
            for issue in certificate["issues"]
        ]
        lines.append(row % ("certificate", certificate["subject"]))
        lines.append(row % ("  sha256", certificate["sha256"]))
        lines.append(row % ("  valid", "%s to %s" % (certificate["not_before"], certificate["not_after"])))
        lines.append(row % ("  as a CA", "; ".join(issues) or "ok, also under 3.13's strict checks"))
    if report["cache_dir"]:
        lines.append(row % ("cache", report["cache_dir"]))
    by_path = {}
    for name, export in sorted(report["exports"].items()):
        by_path.setdefault(export["path"], []).append((name, export))
    for path, exports in by_path.items():
        base = exports[0][1]["base"]
        holds = "%s + the CA" % base if base else "the CA (for a variable that adds roots)"
        notes = sorted({_export_note(export, path) for _, export in exports})
        names = "%s (%s)" % (", ".join(name for name, _ in exports), ", ".join(notes))
        lines.append(row % ("bundle", path or "none (not written)"))
        lines.append(row % ("  holds", holds))
        indent = row % ("  exported as", "")
        lines.extend(textwrap.wrap(names, 100, initial_indent=indent, subsequent_indent=" " * len(indent)))
    if report["active"] and not report["export"]:
        lines.append(row % ("exports", "none (SANDBOX_TRUST_EXPORT_ENV=0)"))
    if report["problems"]:
        lines.append("problems:")
        lines.extend("  - " + problem for problem in report["problems"])
    else:
        lines.append(row % ("problems", "none"))
    return "\n".join(lines)


def _export_note(export, path):
    if export["set_at_start"]:
        return "set at start"
    return "in this environment" if export["environ"] == path else "not in this environment"


def shell_quote(value):
    """POSIX single quotes: the only character needing care inside them is the quote itself."""
    return "'" + value.replace("'", "'\\''") + "'"


# --- commands --------------------------------------------------------------------------------


def cmd_status(args):
    report = collect_status()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_status(report))
    return 1 if report["problems"] else 0


def cmd_env(args):
    settings = boot.settings
    if settings.disabled or not settings.export:
        why = "SANDBOX_TRUST_DISABLE=1" if settings.disabled else "SANDBOX_TRUST_EXPORT_ENV=0"
        sys.stderr.write("sandbox-trust: %s: no variables to export\n" % why)
        return 0
    state = wait_for_ca(settings.ca_path, settings.timeout if settings.declared else 0.0)
    if not state.valid:
        sys.stderr.write("sandbox-trust: no usable CA: %s\n" % state.error)
        return 1
    lines = []
    for name, (_base, path) in sorted(planned_bundles(environ_before_start(os.environ)).items()):
        if path is not None:
            lines.append("export %s=%s" % (name, shell_quote(path)))
    if not lines:
        sys.stderr.write("sandbox-trust: no private cache directory is usable: no bundle to export\n")
        return 1
    print("\n".join(lines))
    return 0


def cmd_wait(args):
    timeout = boot.settings.timeout if args.timeout is None else max(0.0, args.timeout)
    state = wait_for_ca(boot.settings.ca_path, timeout, retry_invalid=True)
    if state.valid:
        print("sandbox-trust: CA at %s is ready (waited %.2f s)" % (state.path, state.waited))
        return 0
    sys.stderr.write("sandbox-trust: timed out after %.1f s: %s\n" % (state.waited, state.error))
    return 1


def cmd_install(args):
    from sandbox_trust import _venv_install

    return _venv_install.main(args.venv)


def cmd_demo(args):
    from sandbox_trust import _demo

    return _demo.main()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sandbox-trust",
        description="Make every Python process trust the sandbox's HTTPS-interception CA.",
    )
    parser.add_argument("--version", action="version", version="sandbox-trust " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    status = commands.add_parser("status", help="what is active, the CA's certificates, problems")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=cmd_status)
    env = commands.add_parser("env", help='export lines for shells: eval "$(sandbox-trust env)"')
    env.set_defaults(run=cmd_env)
    wait = commands.add_parser("wait", help="block until the CA has landed and is valid")
    wait.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="seconds (default: SANDBOX_TRUST_TIMEOUT, else %g)" % boot.DEFAULT_TIMEOUT,
    )
    wait.set_defaults(run=cmd_wait)
    install = commands.add_parser("install", help="make another venv's interpreter trust the CA too")
    install.add_argument("--venv", required=True, metavar="DIR", help="the virtual environment")
    install.set_defaults(run=cmd_install)
    demo = commands.add_parser("demo", help="show it working with a throwaway CA and a local interceptor")
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.run(args)
