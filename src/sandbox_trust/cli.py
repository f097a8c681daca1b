"""Command line: ``sandbox-trust status|env|wait|install|uninstall|demo`` (also ``python -m sandbox_trust``).

Argument parsing, output formats and exit codes; what is reported comes from ``_status``.
"""

import argparse
import json
import os
import sys
import textwrap

import _sandbox_trust_boot as boot
from sandbox_trust import __version__, _quiet_in_cli
from sandbox_trust._status import collect_status, planned_bundles, wait_for_ca

_quiet_in_cli()  # this process reports what it finds itself: no second copy on stderr

# --- output --------------------------------------------------------------------------------


def format_status(report):
    row = "%-13s %s"
    state = "active" if report["active"] else "inactive"
    if report["disabled"]:
        state += " (SANDBOX_TRUST_DISABLE=1)"
    elif not report["ca_present"] and not report["declared"]:
        state += " (no CA, interception not declared: nothing to do)"
    elif not report["ca_landed"] and report["declared"]:
        state += " (CA declared, not landed yet)"
    ca = "present" if report["ca_present"] else "absent"
    if report["declared"]:
        ca += ", interception declared"
    lines = [
        "sandbox-trust %s on Python %s: %s" % (report["version"], report["python"], state),
        row % ("startup file", report["startup_file"] or "not installed in this interpreter"),
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
        normalised = certificate.get("normalised")
        if normalised:
            repaired = "; ".join("%s %s" % (i["extension"], i["problem"]) for i in normalised["repaired"])
            lines.append(row % ("  loaded as", "normalised trust anchor (repaired: %s)" % repaired))
            lines.append(row % ("  its sha256", normalised["sha256"]))
    cache = report.get("cache") or {}
    if report["cache_dir"]:
        made = "" if cache.get("exists", True) else " (made at the first write)"
        lines.append(row % ("cache", report["cache_dir"] + made))
    for refused in cache.get("refused", ()):
        lines.append(row % ("cache refused", "%(directory)s: %(why)s" % refused))
    by_path = {}
    for name, export in sorted(report["exports"].items()):
        by_path.setdefault(export["path"], []).append((name, export))
    for path, exports in by_path.items():
        base = exports[0][1]["base"]
        holds = "%s + the CA" % base if base else "the CA (for a variable that adds roots)"
        names = ", ".join(name for name, _ in exports)
        if path is None:  # nothing to point a variable at: nothing is exported for these
            lines.append(row % ("bundle", "none (not written)"))
            lines.append(row % ("  would hold", holds))
            label = "  not exported"
        else:
            notes = sorted({_export_note(export) for _, export in exports})
            names = "%s (%s)" % (names, ", ".join(notes))
            lines.append(row % ("bundle", path))
            lines.append(row % ("  holds", holds))
            label = "  exported as"
        indent = row % (label, "")
        lines.extend(textwrap.wrap(names, 100, initial_indent=indent, subsequent_indent=" " * len(indent)))
    java = report.get("java") or {}
    if java.get("installed"):
        store = java["store"] or "built again at the next start (the CA or cacerts changed)"
        lines.append(row % ("Java store", "%s (%s + the CA, install --java)" % (store, java["cacerts"])))
    nss = report.get("nss") or {}
    if nss.get("installed"):
        state = "the current CA" if nss["current"] and not nss["stale"] else "not the current CA"
        lines.append(row % ("NSS database", "%s: %s (install --nss)" % (nss["nssdb"], state)))
    if report["active"] and not report["export"]:
        lines.append(row % ("exports", "none (SANDBOX_TRUST_EXPORT_ENV=0)"))
    sections = (
        ("problems", report["problems"]),
        ("warnings", report["warnings"]),
        ("information", report.get("information", ())),
    )
    for title, sentences in sections:
        if sentences:
            lines.append(title + ":")
            lines.extend("  - " + sentence for sentence in sentences)
        elif title == "problems":
            lines.append(row % ("problems", "none"))
    return "\n".join(lines)


def _export_note(export):
    if export["set_at_start"]:
        return "set at start"
    return "in this environment" if export["exported"] else "not in this environment"


def shell_quote(value):
    """POSIX single quotes: the only character needing care inside them is the quote itself."""
    return "'" + value.replace("'", "'\\''") + "'"


# --- commands --------------------------------------------------------------------------------


def cmd_status(args):
    timeout = None
    if args.wait:
        timeout = boot.settings.timeout if args.timeout is None else args.timeout
    report = collect_status(wait=timeout)
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
    record = {}  # what a start records for its children: they then know these values are ours
    for name, (_base, path) in sorted(planned_bundles(os.environ).items()):
        if path is not None:
            lines.append("export %s=%s" % (name, shell_quote(path)))
            record[name] = (boot.original(name, os.environ.get), path)  # encode_record's rule
    if not lines:
        sys.stderr.write("sandbox-trust: no private cache directory is usable: no bundle to export\n")
        return 1
    from sandbox_trust import _java

    store = _java.report()["store"]  # after install --java: the store this process's start found or built
    if store is not None:
        before = boot.original(_java.VARIABLE, os.environ.get)
        value = _java.OPTION + store + (" " + before if before else "")
        lines.append("export %s=%s" % (_java.VARIABLE, shell_quote(value)))
        record[_java.VARIABLE] = (before, value)
    encoded = boot.encode_record(record)
    if encoded:
        lines.append("export %s=%s" % (boot.RECORD_VARIABLE, shell_quote(encoded)))
    print("\n".join(lines))
    return 0


def cmd_wait(args):
    timeout = boot.settings.timeout if args.timeout is None else args.timeout
    state = wait_for_ca(boot.settings.ca_path, timeout, retry_invalid=True)
    if state.valid:
        print("sandbox-trust: CA at %s is ready (waited %.2f s)" % (state.path, state.waited))
        return 0
    if state.final:
        sys.stderr.write("sandbox-trust: waiting cannot help: %s\n" % state.error)
    else:
        sys.stderr.write("sandbox-trust: timed out after %.1f s: %s\n" % (state.waited, state.error))
    return 1


def _usable_ca():
    """The CA's certificates for install --nss / --java (a declared CA is waited for), or None."""
    settings = boot.settings
    state = wait_for_ca(settings.ca_path, settings.timeout if settings.declared else 0.0)
    if not state.valid:
        sys.stderr.write("sandbox-trust: no usable CA: %s\n" % state.error)
        return None
    return state.certificates.der


def cmd_install(args):
    if args.venv is not None:
        from sandbox_trust import _venv_install

        return _venv_install.main(args.venv)
    certificates = _usable_ca()
    if certificates is None:
        return 1
    if args.nss:
        from sandbox_trust import _nss

        return _nss.main(True, args.nssdb, certificates)
    from sandbox_trust import _java

    return _java.main(True, certificates)


def cmd_uninstall(args):
    if args.venv is not None:
        from sandbox_trust import _venv_install

        return _venv_install.main_uninstall(args.venv)
    if args.nss:
        from sandbox_trust import _nss

        return _nss.main(False, args.nssdb)
    from sandbox_trust import _java

    return _java.main(False)


def cmd_demo(args):
    from sandbox_trust import _demo

    return _demo.main()


# --- help ------------------------------------------------------------------------------------

EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell shows for a tool a closed pipe ended

# The README's configuration table, for the top-level help (a test keeps the two the same).
VARIABLES = (
    ("SANDBOX_CA_CERT", "path of the injected CA (PEM); default %s" % boot.DEFAULT_CA_PATH),
    ("SANDBOX_INTERCEPT_HTTPS", "1: interception is on, so a CA that is not there yet is waited for"),
    ("SANDBOX_TRUST_DISABLE", "1: opt out; nothing is imported beyond the start-up gate"),
    (
        "SANDBOX_TRUST_TIMEOUT",
        "seconds to wait for a declared CA, 0 to 300 (else the default, with one line); default %g"
        % boot.DEFAULT_TIMEOUT,
    ),
    ("SANDBOX_TRUST_DEBUG", "1: one stderr line per decision, tracebacks for internal errors"),
    ("SANDBOX_TRUST_EXPORT_ENV", "0: do not export CA variables for child processes"),
    (
        "SANDBOX_TRUST_CACHE_DIR",
        "where merged bundles go; default ~/.cache/sandbox-trust, else $TMPDIR/sandbox-trust-UID",
    ),
    (
        "SANDBOX_TRUST_LAZY_ROOTS",
        "0: client contexts parse default-roots bundles instead of a hashed directory",
    ),
    (
        "SANDBOX_TRUST_REPAIR_CA",
        "0: load the CA exactly as written, even where strict verification (3.13+) rejects its encoding",
    ),
)
CA_VARIABLES = "the CA variables it extends (SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, ...)"
CACHE_VARIABLES = "SANDBOX_TRUST_CACHE_DIR (else XDG_CACHE_HOME, HOME, TMPDIR)"

# command -> (one-line help, description, exit codes, variables read)
COMMANDS = {
    "status": (
        "what is active, the CA's certificates, problems",
        "Report what this interpreter does now: whether sandbox-trust is installed and active, the CA "
        "file and each certificate (subject, SHA-256, validity, whether Python 3.13's strict checks "
        "accept it), the merged bundles, the variables exported for child processes, and every "
        "problem it can see, each in one sentence. It answers at once: a declared CA that has not "
        "landed is reported as such (--wait waits for it first).",
        (
            ("0", "all well, or nothing to do (opted out; no CA and none declared); warnings allowed"),
            (
                "1",
                "problems (a CA declared but not landed, unusable, expired, failing strict checks on "
                "3.13+; a switch with an undocumented value; a private key in the CA file; no bundle)",
            ),
            ("2", "usage error"),
        ),
        "SANDBOX_CA_CERT, SANDBOX_INTERCEPT_HTTPS, SANDBOX_TRUST_DISABLE, SANDBOX_TRUST_TIMEOUT (with "
        "--wait), SANDBOX_TRUST_DEBUG, SANDBOX_TRUST_EXPORT_ENV, %s, %s" % (CACHE_VARIABLES, CA_VARIABLES),
    ),
    "env": (
        'export lines for shells: eval "$(sandbox-trust env)"',
        "Print POSIX export lines that point the CA variables at merged bundles, for processes the "
        ".pth cannot reach (python -S, other languages' tools started from a shell). A declared CA is "
        "waited for first. Opted out or with SANDBOX_TRUST_EXPORT_ENV=0 it prints nothing.",
        (
            ("0", "export lines printed, or nothing to export by choice"),
            ("1", "no usable CA, or no private cache directory to write bundles in"),
            ("2", "usage error"),
        ),
        "SANDBOX_CA_CERT, SANDBOX_INTERCEPT_HTTPS, SANDBOX_TRUST_TIMEOUT, SANDBOX_TRUST_DISABLE, "
        "SANDBOX_TRUST_EXPORT_ENV, %s, %s" % (CACHE_VARIABLES, CA_VARIABLES),
    ),
    "wait": (
        "block until the CA has landed and is valid",
        "Wait until the CA file is complete and usable, polling every few milliseconds; a file that "
        "waiting cannot fix (an expired certificate, one that is not a CA, a private key only) fails "
        "at once. For entrypoints: sandbox-trust wait && exec app.",
        (
            ("0", "the CA is there and usable"),
            ("1", "timed out, or the CA cannot become usable"),
            ("2", "usage error (a --timeout that is not a finite number of seconds, 0 or more)"),
        ),
        "SANDBOX_CA_CERT, SANDBOX_TRUST_TIMEOUT (unless --timeout)",
    ),
    "install": (
        "make another venv, Chromium's NSS database or Java children trust the CA too",
        "--venv DIR: copy this installation (package, start-up modules, .pth and .start) into another virtual "
        "environment's site-packages, with a dist-info so that pip list shows it and pip uninstall "
        "removes it; needs no package index. --nss: add the CA to the user's NSS database "
        "($HOME/.pki/nssdb, or --nssdb DIR; created if missing), which Chromium, Chrome and "
        "Playwright's browsers read, with certutil (Debian's libnss3-tools), under a nickname "
        "'sandbox-trust sha256 <fingerprint>'. --java: build a truststore of the JDK's own cacerts "
        "(the JDK of JAVA_HOME, else the java on PATH) plus the CA in the private cache; from then on "
        "Python processes export JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=<it> (extending a "
        "value of yours) for their Java children. Each is idempotent: running it again refreshes it, "
        "and after the CA rotates --nss replaces the old certificate (the Java store follows by itself). "
        "A declared CA is waited for first.",
        (
            ("0", "installed"),
            (
                "1",
                "no usable CA; DIR is not a usable venv; the NSS database is not private to this user; "
                "certutil, keytool or the JDK's cacerts is missing; or the copy failed",
            ),
            ("2", "usage error"),
        ),
        "SANDBOX_CA_CERT, SANDBOX_INTERCEPT_HTTPS, SANDBOX_TRUST_TIMEOUT (--nss, --java); HOME (--nss); "
        "JAVA_HOME, PATH (--java; --venv runs the target with SANDBOX_TRUST_DISABLE=1); %s (--java)"
        % CACHE_VARIABLES,
    ),
    "uninstall": (
        "undo an install: --venv DIR, --nss or --java",
        "Undo the matching install, and only what it did: --venv DIR removes the copy install --venv "
        "made (a copy pip installed is left to pip); --nss removes the certificates under nicknames of "
        "sandbox-trust from the NSS database (the database itself stays); --java removes the Java "
        "truststore and the mark that makes Python processes export JAVA_TOOL_OPTIONS. Idempotent: "
        "nothing to undo is success.",
        (
            ("0", "removed, or nothing to remove"),
            (
                "1",
                "DIR is not a usable venv, the NSS database is not private to this user, or certutil is missing",
            ),
            ("2", "usage error"),
        ),
        "HOME (--nss); %s (--java); PATH" % CACHE_VARIABLES,
    ),
    "demo": (
        "show it working with a throwaway CA and a local interceptor",
        "Mint a throwaway CA (openssl, else trustme), start a local HTTPS interceptor signed by it and "
        "another origin signed by an unrelated CA, and run each installed client in a fresh "
        "subprocess: rejected when opted out, trusted with sandbox-trust, and the unrelated origin "
        "still rejected. Leaves nothing behind.",
        (("0", "every client behaved"), ("1", "a client did not (named), or the demo cannot run here")),
        "PATH (openssl, curl, git, node), TMPDIR; the clients get a scrubbed environment of their own",
    ),
}


def _epilog(codes, variables):
    lines = ["exit codes:"]
    for code in codes:
        lines.extend(textwrap.wrap("%s  %s" % code, 96, initial_indent="  ", subsequent_indent=" " * 5))
    lines.append("environment variables read:")
    lines.extend(textwrap.wrap(variables, 96, initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)


def _main_epilog():
    width = max(len(name) for name, _ in VARIABLES)
    lines = ["environment variables (all optional; switches are 1 for on, 0 or unset for off):"]
    lines.extend("  %-*s  %s" % (width, name, meaning) for name, meaning in VARIABLES)
    lines.append(
        "exit codes: 0 success, 1 see the command's --help, 2 usage error, %d the reader of the "
        "output went away (a closed pipe, as for a tool SIGPIPE ends)" % EXIT_PIPE_CLOSED
    )
    lines.append("each command's --help gives its exit codes and the variables it reads")
    return "\n".join(lines)


def _timeout(text):
    """--timeout: seconds, finite and not negative (argparse makes the error a usage error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            "expected a finite number of seconds, 0 or more (SANDBOX_TRUST_TIMEOUT's own range is "
            "0 to 300), got %r" % text
        )
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sandbox-trust",
        description="Make every Python process trust the sandbox's HTTPS-interception CA.",
        epilog=_main_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version="sandbox-trust " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parsers = {}
    for name, (summary, description, codes, variables) in COMMANDS.items():
        parsers[name] = commands.add_parser(
            name,
            help=summary,
            description="\n".join(textwrap.wrap(description, 96)),
            epilog=_epilog(codes, variables),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parsers[name].set_defaults(run=globals()["cmd_" + name])
    status = parsers["status"]
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--wait", action="store_true", help="first wait for the CA, as wait does")
    timeout_help = "seconds, 0 or more (default: SANDBOX_TRUST_TIMEOUT, else %g)" % boot.DEFAULT_TIMEOUT
    status.add_argument("--timeout", type=_timeout, metavar="S", help="with --wait: " + timeout_help)
    parsers["wait"].add_argument("--timeout", type=_timeout, metavar="S", help=timeout_help)
    for name in ("install", "uninstall"):
        what = parsers[name].add_mutually_exclusive_group(required=True)
        what.add_argument("--venv", metavar="DIR", help="another virtual environment")
        what.add_argument("--nss", action="store_true", help="the user's NSS database (Chromium, Chrome)")
        what.add_argument("--java", action="store_true", help="a truststore for Java children")
        parsers[name].add_argument(
            "--nssdb", metavar="DIR", help="with --nss: the database directory (default $HOME/.pki/nssdb)"
        )
    return parser


def main(argv=None):
    """Run one command; its exit code. A reader that leaves early (``status --json | head``) ends
    it quietly, as it ends cat: Python ignores SIGPIPE, so the write raises instead."""
    try:
        try:
            return _run(argv)
        finally:  # --help exits through SystemExit: its buffered text must fail here too, not at exit
            sys.stdout.flush()
    except BrokenPipeError:
        # Nothing more can be written there, and the interpreter's own final flush must not try.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE_CLOSED


def _run(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "status" and args.timeout is not None and not args.wait:
        parser.error("status: --timeout only applies with --wait")
    if getattr(args, "nssdb", None) is not None and not args.nss:
        parser.error("%s: --nssdb only applies with --nss" % args.command)
    return args.run(args)
