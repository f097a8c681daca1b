"""The injected CA for this process: found, waited for when declared, validated once.

Waiting happens only here, and only when a caller needs trust (a client context loading its
roots, ``certifi.where()``): a process that never touches TLS never waits. A CA that lands while
we wait is seen within one poll interval.
"""

import _thread
import sys
import time

import _sandbox_trust_boot as boot
from sandbox_trust import _cafile

POLL_INTERVAL = 0.005  # seconds; the runtime's own loader polls every 100 ms

_lock = _thread.allocate_lock()  # not threading: `import ssl` must stay cheap
_certificates = None  # the CA once it has landed and parsed
_waited = False  # a declared CA was waited for once and did not land: never wait again
_strict_checked = False  # the first client context checked the CA against 3.13's strict rules


def certificates(wait=True):
    """The CA's certificates, or ``None`` when there is no usable CA (after waiting if declared)."""
    if _certificates is not None:
        return _certificates
    with _lock:  # threads racing for the first context wait together, and parse once
        if _certificates is not None:
            return _certificates
        found = _find(wait and boot.settings.declared and not _waited)
    if found is not None:
        try:
            # After the lock is released: exporting builds bundles, which may take a while.
            boot.export_environment(found)  # no-op when start already exported; else the CA landed late
        except Exception:
            boot.internal_error("exporting variables")
    return found


def _find(wait):
    global _certificates, _waited
    settings = boot.settings
    deadline = time.monotonic() + settings.timeout
    while True:
        try:
            found = _cafile.read(settings.ca_path)
            break
        except _cafile.CAFileError as exc:
            if wait and exc.incomplete and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL)
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
    if found.has_private_key:
        boot.warn("CA file %s also holds a private key: only its certificates are used" % settings.ca_path)
    _certificates = found
    if settings.debug:  # the reader and the digest only for a person reading debug lines
        boot.debug(
            "CA loaded from %s: %s" % (settings.ca_path, "; ".join(_describe(der) for der in found.der))
        )
    return found


def _describe(der):
    import hashlib

    from sandbox_trust import _x509

    try:
        subject = _x509.read_certificate(der).subject
    except _x509.DERError as exc:
        subject = "unreadable subject (%s)" % exc
    return "%s, sha256 %s" % (subject, hashlib.sha256(der).hexdigest())


def load_into(context, load_verify_locations):
    """Add the CA to ``context`` with the given (unpatched) loader; no-op without a CA."""
    found = certificates()
    if found is not None:
        load_verify_locations(context, cadata=found.cadata)
        if not _strict_checked:
            _check_strict(found)


def _check_strict(found):
    """Once per process, at the first client context: say why a 3.13+ strict client will fail.

    OpenSSL's own message ("Basic Constraints of CA cert not marked critical") names no culprit.
    """
    global _strict_checked
    _strict_checked = True
    if sys.version_info < (3, 13):  # VERIFY_X509_STRICT is a default from 3.13 on
        return
    from sandbox_trust import _x509

    for der in found.der:
        try:
            certificate = _x509.read_certificate(der)
        except _x509.DERError:
            continue  # OpenSSL accepted it; nothing to explain
        issues = _x509.ca_issues(certificate)
        if issues:
            boot.warn(
                "CA certificate %s fails the strict X.509 checks Python 3.13+ clients apply "
                "(VERIFY_X509_STRICT): %s; urllib, requests, httpx and aiohttp reject intercepted "
                "servers (sandbox-trust status explains)"
                % (
                    certificate.subject,
                    "; ".join(
                        "%s %s (OpenSSL: %s)" % (i.extension, i.problem, i.openssl_error) for i in issues
                    ),
                )
            )
            return
