"""What this interpreter trusts, as one report: the CA, its certificates, the bundles, the problems.

Shared by ``sandbox-trust status``/``env``/``wait`` and the demo. It reuses the modules interpreter
start uses (settings, planned exports, bundles), so it shows what a start would do, not a second
opinion. Not on the start-up path, so it imports freely.
"""

import hashlib
import os
import ssl
import sys
import time

import _sandbox_trust_boot as boot
from sandbox_trust import __version__, _anchor, _ca, _cafile, _start_report, _x509

# Who applies VERIFY_X509_STRICT on Python 3.13 (docs/design.md, "Python 3.13 strict verification").
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
        self.certificates = None  # _cafile.CACertificates once the file parsed
        self.parsed = []  # _x509.Certificate, same order
        self.error = None
        self.present = False  # something is at the path
        self.landed = False  # and it is complete (maybe invalid)
        self.final = False  # unusable in a way waiting cannot fix (expired, not a CA, a key only)
        self.has_private_key = False  # the file holds a private key beside its certificates
        self.waited = 0.0

    @property
    def valid(self):
        return self.error is None


def inspect_ca(path):
    """Read, parse and judge the CA at ``path`` once (no waiting)."""
    state = CAState(path)
    now = _x509.utc_now()
    try:
        state.certificates = _cafile.read(path, check=True)
    except _cafile.CAFileError as exc:
        state.present = not exc.absent
        state.landed = not exc.incomplete
        state.final = exc.key_only
        state.error = str(exc)
        return state
    state.present = state.landed = True
    state.has_private_key = state.certificates.has_private_key
    for number, der in enumerate(state.certificates.der, 1):
        try:
            state.parsed.append(_x509.read_certificate(der))
        except _x509.DERError as exc:
            state.error = "certificate #%d in %s is not a valid X.509 certificate (%s)" % (number, path, exc)
            return state
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=state.certificates.cadata)
    except ssl.SSLError as exc:
        state.error = "OpenSSL refuses the CA in %s (%s)" % (path, exc)
        return state
    for certificate in state.parsed:
        problem = _ca.unusable(certificate, now)  # the sentence the application's one line has too
        if problem:
            state.error, state.final = problem
            return state
    return state


def wait_for_ca(path, timeout, retry_invalid=False):
    """``inspect_ca`` until the CA is usable or ``timeout`` seconds passed.

    A file that has not landed (absent, empty, truncated) is always waited for; a complete but
    unusable one only with ``retry_invalid`` (the runtime may still replace it), and never when
    waiting cannot help (``final``: expired, not a CA, a private key only).
    """
    start = time.monotonic()
    while True:
        state = inspect_ca(path)
        state.waited = time.monotonic() - start
        if state.valid or state.final or state.waited >= timeout or (state.landed and not retry_invalid):
            return state
        time.sleep(_ca.POLL_INTERVAL)


def strict_enforced():
    """True when this interpreter's default client contexts apply VERIFY_X509_STRICT (3.13+)."""
    return sys.version_info >= (3, 13)


describe = _ca.describe


def normalised_anchor(certificate, settings):
    """``_anchor.anchor`` of ``certificate`` as client contexts load it; None with REPAIR_CA=0.

    As ``_ca`` does: a normalised form OpenSSL would not load is not used (``refused`` says so).
    """
    if not settings.repair_ca:
        return None
    (anchor,) = _anchor.loaded([certificate.der])
    return anchor


def normalised_sentence(certificate, anchor):
    return (
        "CA certificate %s fails strict verification (VERIFY_X509_STRICT, Python 3.13+) only by its "
        "encoding (%s): client contexts load it as an equivalent trust anchor (%s; same name, key and "
        "other extensions; RFC 5280 6.1.1), which strict verification accepts. "
        "SANDBOX_TRUST_REPAIR_CA=0 loads it as written"
        % (
            certificate.subject,
            "; ".join(describe(issue) for issue in anchor.repaired),
            anchor.describe_repairs(),
        )
    )


def strict_sentence(certificate, issues, enforced, why):
    here = (
        "this interpreter enforces it"
        if enforced
        else "this interpreter (Python %d.%d) does not enforce it: a warning here" % sys.version_info[:2]
    )
    return (
        "CA certificate %s fails Python 3.13+ strict verification (VERIFY_X509_STRICT): %s. On Python 3.13+ "
        "%s reject intercepted servers; %s still trust them; %s (%s)"
        % (
            certificate.subject,
            "; ".join("%s (OpenSSL: %s)" % (describe(i), i.openssl_error) for i in issues),
            ", ".join(STRICT_CLIENTS),
            ", ".join(LENIENT_CLIENTS),
            here,
            why,
        )
    )


def ignored_sentence(name, value, accepted):
    return "%s=%r is not a value sandbox-trust accepts (%s, or unset): it is ignored, as if unset" % (
        name,
        value,
        " or ".join(accepted),
    )


# --- what this interpreter has and would export -------------------------------------------


# PEP 829: CPython 3.15 runs ``.start`` files (and then skips the import line of the ``.pth`` of the
# same name); older versions run only the ``.pth``. Either file starts the same gate.
RUNS_START_FILES = sys.version_info >= (3, 15)


def installed_startup_files():
    """``{"pth": path or None, "start": path or None}``: sandbox-trust's startup files in this
    interpreter's site directories (the first directory holding either)."""
    import site
    import sysconfig

    directories = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    directories.append(sysconfig.get_paths()["purelib"])
    if site.ENABLE_USER_SITE:
        directories.append(site.getusersitepackages())
    for directory in directories:
        found = {
            kind: path if os.path.isfile(path) else None
            for kind, path in (
                ("pth", os.path.join(directory, "sandbox_trust.pth")),
                ("start", os.path.join(directory, "sandbox_trust.start")),
            )
        }
        if found["pth"] or found["start"]:
            return found
    return {"pth": None, "start": None}


def running_startup_file(files=None):
    """The startup file this interpreter runs at start (the ``.start`` on 3.15+, when there), or None."""
    files = files or installed_startup_files()
    return (RUNS_START_FILES and files["start"]) or files["pth"]


def cache_report():
    """The private cache as the bundle writer chooses it (``_cache.report``): a dict."""
    from sandbox_trust import _cache

    return _cache.report()


def planned_bundles(environ):
    """``{variable: (what it extends or None, merged bundle path or None)}`` for what a start would
    export from ``environ`` (its values read as the user had them: ``boot.original``); what it
    extends is a path, or paths joined by " + " (a bundle and CA directories)."""
    from sandbox_trust import _bundles

    certificates = _ca.certificates(wait=False)
    plan = {}
    built = {}
    for name, base in boot.planned_exports(environ).items():
        if base not in built:
            built[base] = _bundles.bundle_for(base, certificates) if certificates else None
        plan[name] = (_bundles.describe(base), built[base])
    return plan


def collect_status(wait=None):
    """Everything ``status`` reports, as JSON-ready data; ``problems`` decides the exit code.

    The CA is looked at once, now; with ``wait`` (seconds) it is first waited for as ``wait`` does.
    """
    settings = boot.settings
    snapshot = dict(os.environ)  # before any export below
    at_start = dict(boot.export_record)
    files = installed_startup_files()
    startup_file = running_startup_file(files)
    enforced = strict_enforced()
    problems, warnings, information = [], [], []
    report = {
        "version": __version__,
        "python": "%d.%d.%d" % sys.version_info[:3],
        "active": False,
        "installed": startup_file is not None,
        "startup_file": startup_file,
        "pth": files["pth"],
        "start": files["start"],
        "disabled": settings.disabled,
        "declared": settings.declared,
        "ignored": [
            {"variable": name, "value": value, "accepted": list(accepted)}
            for name, value, accepted in _start_report.ignored_settings()
        ],
        "ca_path": settings.ca_path,
        "ca_present": False,
        "ca_landed": False,
        "waited": 0.0,
        "certificates": [],
        "strict_enforced": enforced,
        "export": settings.export,
        "bundles": [],
        "exports": {},
        "cache_dir": None,
        "problems": problems,
        "warnings": warnings,
        "information": information,
    }
    # A switch the user set to an undocumented value: said whatever else is the case.
    problems.extend(ignored_sentence(*entry) for entry in _start_report.ignored_settings())
    if wait is None:
        state = inspect_ca(settings.ca_path)
    else:
        state = wait_for_ca(settings.ca_path, wait, retry_invalid=True)
    report["ca_present"], report["ca_landed"] = state.present, state.landed
    report["waited"] = round(state.waited, 3)
    issues_of = [(certificate, _x509.ca_issues(certificate)) for certificate in state.parsed]
    for certificate, issues in issues_of:
        report["certificates"].append(
            {
                "subject": certificate.subject,
                "issuer": certificate.issuer,
                "sha256": hashlib.sha256(certificate.der).hexdigest(),
                "not_before": certificate.not_before,
                "not_after": certificate.not_after,
                "extensions": certificate.extensions(),
                "issues": [issue.as_dict() for issue in issues],
                "strict_ok": not issues,
                "normalised": None,  # what a client context loads instead, when sandbox-trust mends it
            }
        )
    if settings.disabled:
        return report  # the user's choice: nothing is done, so nothing else can go wrong
    if not state.present and not settings.declared:
        return report  # no CA, none announced: nothing to do
    if startup_file is None:
        missing = (
            "sandbox_trust.pth is"
            if not RUNS_START_FILES
            else "sandbox_trust.pth and sandbox_trust.start are"
        )
        problems.append(
            "%s not installed in this interpreter's site-packages: its processes do not trust the CA "
            "(pip install sandbox-trust, or sandbox-trust install --venv)" % missing
        )
    if not state.landed and settings.declared:
        if wait is None:
            problems.append(
                "SANDBOX_INTERCEPT_HTTPS=1: the CA at %s is declared, not landed yet (%s): a client waits "
                "up to %g s for it when it first needs trust; sandbox-trust wait (or status --wait) waits "
                "for it" % (settings.ca_path, state.error, settings.timeout)
            )
        else:
            problems.append(
                "SANDBOX_INTERCEPT_HTTPS=1 but no usable CA at %s after %.1f s (%s): "
                "intercepted HTTPS will fail verification" % (settings.ca_path, state.waited, state.error)
            )
    elif not state.valid:
        problems.append(state.error)
    if state.has_private_key:
        problems.append(
            "CA file %s also holds a private key: only its certificates are used, but if it is the CA's "
            "key, whoever can read the file can sign certificates this sandbox trusts; ship the "
            "certificate alone" % settings.ca_path
        )
    for entry, (certificate, issues) in zip(report["certificates"], issues_of):
        if not issues or not state.valid:  # valid: every issue left is one only strict verification has
            continue
        anchor = normalised_anchor(certificate, settings)
        if anchor is not None and anchor.repaired:
            entry["normalised"] = {
                "repaired": [issue.as_dict() for issue in anchor.repaired],
                "sha256": hashlib.sha256(anchor.der).hexdigest(),
                "strict_ok": True,
            }
            information.append(normalised_sentence(certificate, anchor))
            continue
        why = (
            "SANDBOX_TRUST_REPAIR_CA=0: loaded as written"
            if anchor is None
            else "not normalised: " + anchor.refused
        )
        (problems if enforced else warnings).append(strict_sentence(certificate, issues, enforced, why))
        report["strict_clients"] = {"reject": list(STRICT_CLIENTS), "still_trust": list(LENIENT_CLIENTS)}
    cache = cache_report()
    report["cache_dir"] = cache["directory"]
    report["cache"] = cache
    for refused in cache["refused"]:
        problems.append("cache directory %(directory)s refused: %(why)s" % refused)
    report["active"] = startup_file is not None and state.valid
    if state.valid and settings.export:
        plan = planned_bundles(snapshot)
        for name, (base, path) in plan.items():
            report["exports"][name] = {
                "path": path,
                "base": base,
                "environ": snapshot.get(name),
                "exported": path is not None and snapshot.get(name) == path,
                "set_at_start": name in at_start and at_start[name][1] == path != at_start[name][0],
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
    if state.valid:
        runtimes_report(report, state.certificates.der)
    return report


def runtimes_report(report, certificates):
    """What ``install --nss`` and ``install --java`` left, against the CA of now."""
    from sandbox_trust import _java, _nss

    java = report["java"] = _java.report()
    if java["problem"]:
        report["problems"].append(java["problem"])

    nss = report["nss"] = _nss.report(_nss.default_nssdb(), certificates)
    if nss["installed"] and not nss["current"] or nss["stale"]:
        report["problems"].append(
            "NSS database %s holds %s: %s; sandbox-trust install --nss puts the current CA there "
            "and removes the old one"
            % (
                nss["nssdb"],
                ", ".join(nss["stale"] or nss["installed"]),
                "of a CA that is no longer the injected one (it rotated), so Chromium and Chrome still "
                "trust it" + ("" if nss["current"] else " and not the current CA")
                if nss["stale"]
                else "not every certificate of the current CA",
            )
        )
