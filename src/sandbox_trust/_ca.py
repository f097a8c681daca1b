"""The injected CA for this process: found, waited for when declared, validated once.

Waiting happens only here, and only when a caller needs trust (a client context loading its
roots, ``certifi.where()``): a process that never touches TLS never waits. A CA that lands while
we wait is seen within one poll interval.
"""

import sys
import time

import _sandbox_trust_boot as boot
from sandbox_trust import _cafile, _waits

POLL_INTERVAL = 0.005  # seconds; the runtime's own loader polls every 100 ms

# Threads racing for the first context wait together and parse once; the thread inside, re-entered
# by the app's code (a signal handler, __del__, sys.stderr), does not wait on itself (_waits).
_section = _waits.Section()
_certificates = None  # the CA once it has landed and parsed
_waited = False  # a declared CA was waited for once and did not land: never wait again
_context_checked = False  # the first client context said what no client (or 3.13+) accepts in the CA
_refused = False  # OpenSSL refused every certificate of the CA: there is none to add, ever
_said_reentered = False  # the debug line about a re-entered wait was said (once: it writes to stderr)


def certificates(wait=True):
    """The CA's certificates, or ``None`` when there is no usable CA (after waiting if declared)."""
    if _certificates is not None or _refused:
        return _certificates
    with _section as first:
        if not first:
            _reentered()
            return _certificates
        if _certificates is not None or _refused:
            return _certificates
        found = _find(wait and boot.settings.declared and not _waited)
    if found is not None:
        try:
            # After the lock is released: exporting builds bundles, which may take a while.
            boot.export_environment(found)  # no-op when start already exported; else the CA landed late
        except Exception:
            boot.internal_error("exporting variables")
    return found


def _reentered():
    """The app's code on the thread inside (waiting, parsing) asked for the CA: no wait on itself."""
    global _said_reentered
    if not _said_reentered:
        _said_reentered = True
        boot.debug(
            "a context made inside the wait for the CA, on the same thread (a signal handler, "
            "__del__, sys.stderr), gets %s" % ("no CA" if _certificates is None else "the CA")
        )


def _find(wait):
    global _certificates, _waited
    settings = boot.settings
    deadline = time.monotonic() + settings.timeout
    while True:
        try:
            found = _cafile.read(settings.ca_path)
            if found.truncated and wait and time.monotonic() < deadline:
                _waits.sleep(POLL_INTERVAL)  # its last certificate is still being written
                continue
            break
        except _cafile.CAFileError as exc:
            if wait and exc.incomplete and time.monotonic() < deadline:
                _waits.sleep(POLL_INTERVAL)
                continue
            _waited = _waited or wait
            if exc.absent and not settings.declared or exc.incomplete and settings.declared and not wait:
                boot.debug(str(exc))  # nothing injected nor declared, or not waited for yet: nothing to say
            elif exc.incomplete and settings.declared:
                boot.warn(
                    "SANDBOX_INTERCEPT_HTTPS=1 but no usable CA at %s after %.1f s (%s); "
                    "intercepted HTTPS will fail verification" % (settings.ca_path, settings.timeout, exc)
                )
            else:
                boot.warn(str(exc))
            return None
    if found.rejected or found.truncated:  # an odd file already: check it now, to say it all in one line
        found = found.checked()
        if not found.der:
            boot.warn(
                "CA file %s holds no certificate OpenSSL can load (%s)"
                % (settings.ca_path, "; ".join(_problems(found)))
            )
            return None
    _certificates = found  # before the warning: a sys.stderr that makes a context gets the CA
    problems = _problems(found)
    if problems:
        boot.warn("CA file %s: %s" % (settings.ca_path, "; ".join(problems)))
    if settings.debug:  # the reader and the digest only for a person reading debug lines
        boot.debug(
            "CA loaded from %s: %s" % (settings.ca_path, "; ".join(_describe(der) for der in found.der))
        )
    if settings.repair_ca:
        for der in found.der:
            if _may_need_repair(der):  # the common case, a compliant CA, costs these substring tests
                from sandbox_trust import _anchor

                found = _anchor.normalised(found)
                break
    _certificates = found
    return found


# A compliant CA must not pay for importing _anchor (and _x509, datetime) at every process's first
# client context: a certificate holding a critical basicConstraints (its OID, then BOOLEAN TRUE)
# and a keyUsage OID has nothing _anchor mends. A wrong "maybe" costs one parse; a wrong "no" (the
# bytes found inside a name) leaves the CA as written, as without _anchor (tests/test_anchor.py).
_BASIC_CONSTRAINTS_CRITICAL = bytes.fromhex("0603551d130101ff")
_KEY_USAGE = bytes.fromhex("0603551d0f")


def _may_need_repair(der):
    return not (_BASIC_CONSTRAINTS_CRITICAL in der and _KEY_USAGE in der)


def _problems(found):
    """What the CA file held besides the certificates used: one clause each, for one line."""
    problems = []
    for position, der, why in found.rejected:
        problems.append("certificate #%d%s ignored (%s)" % (position, _subject(der), why))
    if found.truncated:
        problems.append("its last certificate has no END line and is ignored")
    if found.has_private_key:
        problems.append("it also holds a private key: only its certificates are used")
    if problems and (found.rejected or found.truncated):
        problems.append("trusting the other %d" % len(found.der))
    return problems


def _subject(der):
    """`` (subject)`` of a DER certificate when it can be read, else nothing."""
    if der is None:
        return ""
    from sandbox_trust import _x509  # only for this line: a rejected certificate is rare

    try:
        return " (%s)" % _x509.read_certificate(der).subject
    except _x509.DERError:
        return ""


def _describe(der):
    import hashlib

    from sandbox_trust import _x509

    try:
        subject = _x509.read_certificate(der).subject
    except _x509.DERError as exc:
        subject = "unreadable subject (%s)" % exc
    return "%s, sha256 %s" % (subject, hashlib.sha256(der).hexdigest())


def checked_certificates():
    """The CA's certificates that OpenSSL loads (``None`` without any): for files built from them."""
    found = certificates(wait=False)
    return None if found is None else _checked(found)


def _checked(found):
    """``found`` less what OpenSSL refuses, checked once per process; the refusal is the one line."""
    global _certificates, _refused
    checked = found.checked()
    if checked is not found and _certificates is found:
        _certificates = checked if checked.der else None
        _refused = not checked.der
        boot.warn("CA file %s: %s" % (boot.settings.ca_path, "; ".join(_problems(checked))))
    return checked if checked.der else None


def load_into(context, load_verify_locations):
    """Add the CA to ``context`` with the given (unpatched) loader; no-op without a CA."""
    found = certificates()
    if found is None:
        return
    try:
        load_verify_locations(context, cadata=found.cadata)
    except OSError:  # ssl.SSLError: a block OpenSSL refuses, found only now (checking costs a context)
        found = _checked(found)
        if found is None:
            return
        load_verify_locations(context, cadata=found.cadata)
    if not _context_checked:
        _check_at_first_context(found)


def unusable(certificate, now):
    """``(sentence, final)`` when no client accepts ``certificate`` as a CA at ``now`` (UTC text,
    ``_x509.utc_now()``), else None.

    ``final``: waiting cannot fix it (expired, not a CA). The same sentence is ``status``'s
    problem and the application's one line, so both say the same thing.
    """
    if now < certificate.not_before:
        when = certificate.not_before
        return "CA certificate %s is not valid before %s" % (certificate.subject, when), False
    if now > certificate.not_after:
        return "CA certificate %s expired on %s" % (certificate.subject, certificate.not_after), True
    from sandbox_trust import _x509

    fatal = [issue for issue in _x509.ca_issues(certificate) if not issue.strict_only]
    if fatal:
        return (
            "%s is not a usable CA certificate (%s): every client rejects the servers it signs"
            % (certificate.subject, "; ".join(describe(issue) for issue in fatal))
        ), True
    return None


def describe(issue):
    return "%s %s" % (issue.extension, issue.problem)


def _check_at_first_context(found):
    """Once per process, at the first client context: say why clients will reject the CA.

    OpenSSL loads an expired or not-a-CA certificate without a word and each handshake then fails
    with CERTIFICATE_VERIFY_FAILED, so the one line names the certificate and what is wrong, as
    ``status`` does. On 3.13+ also the strict rules: OpenSSL's own message ("Basic Constraints of
    CA cert not marked critical") names no culprit.
    """
    global _context_checked
    _context_checked = True
    from sandbox_trust import _x509

    now = _x509.utc_now()
    for der in found.der:
        try:
            certificate = _x509.read_certificate(der)
        except _x509.DERError:
            continue  # OpenSSL accepted it; nothing to explain
        problem = unusable(certificate, now)
        if problem:
            boot.warn("%s (sandbox-trust status explains)" % problem[0])
            return
        if sys.version_info < (3, 13):  # VERIFY_X509_STRICT is a default from 3.13 on
            continue
        issues = _x509.ca_issues(certificate)
        if issues:
            if not boot.settings.repair_ca:
                why = "SANDBOX_TRUST_REPAIR_CA=0: loaded as written"
            else:
                from sandbox_trust import _anchor

                why = "not normalised: %s" % _anchor.loaded([der])[0].refused
            boot.warn(
                "CA certificate %s fails the strict X.509 checks Python 3.13+ clients apply "
                "(VERIFY_X509_STRICT): %s; urllib, requests, httpx and aiohttp reject intercepted "
                "servers (%s; sandbox-trust status explains)"
                % (
                    certificate.subject,
                    "; ".join(
                        "%s %s (OpenSSL: %s)" % (i.extension, i.problem, i.openssl_error) for i in issues
                    ),
                    why,
                )
            )
            return
