"""Command line: ``sandbox-trust status|env|wait|install|demo`` (also ``python -m sandbox_trust``).

Not on the start-up path, so it imports freely; everything it reports comes from the modules the
interpreter start uses (settings, planned exports, bundles), so it shows what a start would do.
"""

import argparse
import datetime
import hashlib
import json
import os
import ssl
import sys
import textwrap
import time

import _sandbox_trust_boot as boot
from sandbox_trust import __version__, _pem, _x509

# Trust-matrix "Python 3.13": who applies VERIFY_X509_STRICT, and who does not.
STRICT_CLIENTS = (
    "urllib",
    "http.client",
    "ssl.create_default_context",
    "requests/urllib3 2.x",
    "httpx",
    "aiohttp",
)
LENIENT_CLIENTS = ("botocore", "httpx2 (Linux default)", "truststore/pip", "grpc", "pycurl")


# --- the CA as this process sees it ---------------------------------------------------------


class CAState:
    """One look at the CA file: usable (``error`` None) or the one sentence that says why not."""

    def __init__(self, path):
        self.path = path
        self.certificates = None  # _pem.Certificates once the file parsed
        self.parsed = []  # _x509.Certificate, same order
        self.error = None
        self.present = False  # something is at the path
        self.landed = False  # and it is complete (maybe invalid)
        self.waited = 0.0

    @property
    def valid(self):
        return self.error is None


def inspect_ca(path):
    """Read, parse and judge the CA at ``path`` once (no waiting)."""
    state = CAState(path)
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        state.certificates = _pem.load(path)
    except _pem.CAFileError as exc:
        state.present = not exc.absent
        state.landed = not exc.incomplete
        state.error = str(exc)
        return state
    state.present = state.landed = True
    for number, der in enumerate(state.certificates.der, 1):
        try:
            state.parsed.append(_x509.parse(der))
        except _x509.DERError as exc:
            state.error = "certificate #%d in %s is not a valid X.509 certificate (%s)" % (number, path, exc)
            return state
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=state.certificates.cadata)
    except ssl.SSLError as exc:
        state.error = "OpenSSL refuses the CA in %s (%s)" % (path, exc)
        return state
    for certificate in state.parsed:
        if now < certificate.not_before:
            state.error = "CA certificate %s is not valid before %s" % (
                certificate.subject,
                iso(certificate.not_before),
            )
        elif now > certificate.not_after:
            state.error = "CA certificate %s expired on %s" % (
                certificate.subject,
                iso(certificate.not_after),
            )
        else:
            fatal = [issue for issue in _x509.ca_issues(certificate) if not issue.strict_only]
            if fatal:
                state.error = (
                    "%s is not a usable CA certificate (%s): every client rejects the servers it signs"
                    % (certificate.subject, "; ".join(describe(issue) for issue in fatal))
                )
        if state.error:
            return state
    return state


def wait_for_ca(path, timeout, retry_invalid=False):
    """``inspect_ca`` until the CA is usable or ``timeout`` seconds passed.

    A file that has not landed (absent, empty, truncated) is always waited for; a complete but
    unusable one only with ``retry_invalid`` (the runtime may still replace it).
    """
    from sandbox_trust._ca import POLL_INTERVAL

    start = time.monotonic()
    while True:
        state = inspect_ca(path)
        state.waited = time.monotonic() - start
        if state.valid or state.waited >= timeout or (state.landed and not retry_invalid):
            return state
        time.sleep(POLL_INTERVAL)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(issue):
    return "%s %s" % (issue.extension, issue.problem)


def strict_sentence(certificate, issues):
    return (
        "CA certificate %s fails Python 3.13+ strict verification (VERIFY_X509_STRICT): %s. On Python 3.13+ "
        "%s reject intercepted servers; %s still trust them"
        % (
            certificate.subject,
            "; ".join("%s (OpenSSL: %s)" % (describe(i), i.openssl_error) for i in issues),
            ", ".join(STRICT_CLIENTS),
            ", ".join(LENIENT_CLIENTS),
        )
    )


# --- what this interpreter has and would export -------------------------------------------


def installed_pth():
    """Path of ``sandbox_trust.pth`` in one of this interpreter's site directories, or None."""
    import site
    import sysconfig

    directories = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    directories.append(sysconfig.get_paths()["purelib"])
    if site.ENABLE_USER_SITE:
        directories.append(site.getusersitepackages())
    for directory in directories:
        path = os.path.join(directory, "sandbox_trust.pth")
        if os.path.isfile(path):
            return path
    return None


def cache_report():
    """``(directory used or to be created, [refused directories])``, as the bundle writer decides."""
    refused = []
    for directory in boot.cache_candidates():
        if not os.path.lexists(directory):
            return directory, refused  # created (private) on first use
        fd = boot.open_private_dir(directory)
        if fd is None:
            refused.append(directory)
            continue
        os.close(fd)
        return directory, refused
    return None, refused


def environ_before_start(environ):
    """``environ`` as it was before this process's own start exported variables (the real bases)."""
    original = dict(environ)
    for name, (before, _exported) in boot.exports.items():
        if before is None:
            original.pop(name, None)
        else:
            original[name] = before
    return original


def planned_bundles(environ):
    """``{variable: (what it extends or None, merged bundle path or None)}`` for what a start would
    export; what it extends is a path, or paths joined by " + " (a bundle and CA directories)."""
    from sandbox_trust import _bundles

    plan = {}
    built = {}
    for name, base in boot.planned_exports(environ).items():
        if base not in built:
            built[base] = _bundles.bundle_for(base)
        plan[name] = (_bundles.describe(base), built[base])
    return plan


def collect_status():
    """Everything ``status`` reports, as JSON-ready data; ``problems`` decides the exit code."""
    settings = boot.settings
    snapshot = dict(os.environ)  # before any export below
    at_start = dict(boot.exports)
    original = environ_before_start(snapshot)
    pth = installed_pth()
    problems = []
    report = {
        "version": __version__,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "active": False,
        "installed": pth is not None,
        "pth": pth,
        "disabled": settings.disabled,
        "declared": settings.declared,
        "ca_path": settings.ca_path,
        "ca_present": False,
        "certificates": [],
        "export": settings.export,
        "bundles": [],
        "exports": {},
        "cache_dir": None,
        "problems": problems,
    }
    wait = settings.timeout if settings.declared and not settings.disabled else 0.0
    state = wait_for_ca(settings.ca_path, wait)
    report["ca_present"] = state.present
    issues_of = [(certificate, _x509.ca_issues(certificate)) for certificate in state.parsed]
    for certificate, issues in issues_of:
        report["certificates"].append(
            {
                "subject": certificate.subject,
                "issuer": certificate.issuer,
                "sha256": hashlib.sha256(certificate.der).hexdigest(),
                "not_before": iso(certificate.not_before),
                "not_after": iso(certificate.not_after),
                "extensions": certificate.extensions(),
                "issues": [issue.as_dict() for issue in issues],
                "strict_ok": not issues,
            }
        )
    if settings.disabled:
        return report  # the user's choice: nothing is done, so nothing can go wrong
    if not state.present and not settings.declared:
        return report  # no CA, none announced: nothing to do
    if pth is None:
        problems.append(
            "sandbox_trust.pth is not installed in this interpreter's site-packages: "
            "its processes do not trust the CA (pip install sandbox-trust, or sandbox-trust install --venv)"
        )
    if not state.landed and settings.declared:
        problems.append(
            "SANDBOX_INTERCEPT_HTTPS=1 but no usable CA at %s after %.1f s (%s): "
            "intercepted HTTPS will fail verification" % (settings.ca_path, state.waited, state.error)
        )
    elif not state.valid:
        problems.append(state.error)
    for certificate, issues in issues_of:
        if issues and state.valid:  # valid: every issue left is one only strict verification has
            problems.append(strict_sentence(certificate, issues))
            report["strict_clients"] = {"reject": list(STRICT_CLIENTS), "still_trust": list(LENIENT_CLIENTS)}
    cache_dir, refused = cache_report()
    report["cache_dir"] = cache_dir
    for directory in refused:
        problems.append(
            "cache directory %s refused: not a directory owned by this user, or writable by others"
            % directory
        )
    report["active"] = pth is not None and state.valid
    if state.valid and settings.export:
        plan = planned_bundles(original)
        for name, (base, path) in plan.items():
            report["exports"][name] = {
                "path": path,
                "base": base,
                "environ": snapshot.get(name),
                "set_at_start": name in at_start and at_start[name][1] == path,
            }
        seen = set()
        for base, path in plan.values():
            if path and path not in seen:
                seen.add(path)
                report["bundles"].append({"path": path, "base": base})
        if any(path is None for _, path in plan.values()):
            problems.append(
                "no merged bundle could be written (no usable private cache, or an unreadable base): "
                "child processes (curl, git, node...) will not trust the CA"
            )
    return report


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
