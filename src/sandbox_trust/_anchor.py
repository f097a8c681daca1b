"""The injected CA as a trust anchor strict verification accepts: its encoding normalised, never its powers.

RFC 5280 section 6.1.1(d) makes a trust anchor a name and a public key: the anchor certificate's
extensions take no part in path validation. OpenSSL's ``X509_V_FLAG_X509_STRICT`` (Python 3.13's
``create_default_context()``) still checks the anchor's own encoding, and rejects every chain to
a CA whose basicConstraints is not marked critical or that has no keyUsage. OpenSSL checks an
anchor's self-signature only with ``X509_V_FLAG_CHECK_SS_SIGNATURE``, which Python never sets.
So the same certificate with exactly those two defects mended (basicConstraints marked critical,
keyUsage keyCertSign + cRLSign added where none restricted the key) is the same anchor, loaded
where the original is refused; its original, now invalid, signature is kept. Anything else stays
as written (docs/design.md, "A flawed CA under strict verification").

Standard library only, through the package's own DER reader: the round trip of a certificate
this module leaves alone is byte-identical, and one it cannot re-encode exactly is left alone.
"""

import _sandbox_trust_boot as boot
from sandbox_trust import _cafile, _x509
from sandbox_trust._der import DERError, element, encode

# The defects mended: (extension, problem) as ``_x509.ca_issues`` names them.
BASIC_CONSTRAINTS_NOT_CRITICAL = ("basicConstraints", "not marked critical")
KEY_USAGE_MISSING = ("keyUsage", "missing")
REPAIRABLE = (BASIC_CONSTRAINTS_NOT_CRITICAL, KEY_USAGE_MISSING)

_CRITICAL = b"\x01\x01\xff"  # BOOLEAN TRUE: an extension's critical field
# Extension { keyUsage, critical, BIT STRING keyCertSign(5) cRLSign(6) }: 7 bits used, 1 unused.
KEY_USAGE_EXTENSION = bytes.fromhex("300e0603551d0f0101ff040403020106")
_OID_BASIC_CONSTRAINTS = bytes.fromhex("0603551d13")
_OID_KEY_USAGE = bytes.fromhex("0603551d0f")

# What each mended defect says in status and the debug line.
REPAIR_WORDS = {
    BASIC_CONSTRAINTS_NOT_CRITICAL: "basicConstraints marked critical",
    KEY_USAGE_MISSING: "keyUsage keyCertSign, cRLSign added (none restricted the key)",
}


class Anchor:
    """One CA certificate as loaded: ``der`` (normalised, or the original), and why.

    ``repaired``: the ``_x509.Issue`` list mended (empty: loaded as written); ``refused``: a
    sentence saying why strict issues were left as written, or None; ``certificate``: the
    original, parsed.
    """

    __slots__ = ("original", "der", "certificate", "repaired", "refused")

    def __init__(self, original, der, certificate, repaired=(), refused=None):
        self.original = original
        self.der = der
        self.certificate = certificate
        self.repaired = tuple(repaired)
        self.refused = refused

    def describe_repairs(self):
        return "; ".join(REPAIR_WORDS[(i.extension, i.problem)] for i in self.repaired)


def anchor(der):
    """The ``Anchor`` for the DER certificate ``der``: normalised when that is all it needs."""
    try:
        certificate = _x509.read_certificate(der)
    except DERError as exc:
        return Anchor(der, der, None, refused="unreadable (%s)" % exc)
    issues = _x509.ca_issues(certificate)
    if not issues:
        return Anchor(der, der, certificate)
    others = [i for i in issues if (i.extension, i.problem) not in REPAIRABLE]
    if others:
        return Anchor(der, der, certificate, refused=_refusal(others))
    why = _not_an_anchor(certificate)
    if why:
        return Anchor(der, der, certificate, refused=why)
    try:
        normalised = _normalise(der, [(i.extension, i.problem) for i in issues])
    except DERError as exc:
        return Anchor(der, der, certificate, refused="not re-encoded exactly (%s): loaded as written" % exc)
    return Anchor(der, normalised, certificate, repaired=issues)


def loaded(der_certificates):
    """The ``Anchor`` of each DER certificate as client contexts load it.

    A normalised form OpenSSL would not load (never seen) is put back as written: mending must
    not cost the CA. One scratch context, only when something was normalised.
    """
    anchors = [anchor(der) for der in der_certificates]
    repaired = [found for found in anchors if found.repaired]
    if repaired:
        for index in _cafile.openssl_rejects([found.der for found in repaired]):
            found = repaired[index]
            found.der, found.repaired = found.original, ()
            found.refused = "OpenSSL refuses the normalised form, so it stays as written"
    return anchors


def normalised(found):
    """``found`` (``_cafile.CACertificates``) with each certificate loaded as ``loaded`` says.

    Once per process, when ``_ca`` finds the CA; each certificate mended is said once in debug.
    """
    anchors = loaded(found.der)
    if not any(found.repaired for found in anchors):
        return found
    for mended in anchors:
        if mended.repaired:
            boot.debug(
                "CA certificate %s normalised as a trust anchor for strict verification: %s; "
                "same name, key and other extensions (SANDBOX_TRUST_REPAIR_CA=0: as written)"
                % (mended.certificate.subject, mended.describe_repairs())
            )
    return _cafile.CACertificates(
        [mended.der for mended in anchors],
        found.has_private_key,
        found.rejected,
        found.truncated,
        found.positions,
    )


def _refusal(issues):
    what = "; ".join("%s %s" % (i.extension, i.problem) for i in issues)
    return (
        "%s: not an encoding defect sandbox-trust mends (only a non-critical basicConstraints "
        "CA:TRUE and a missing keyUsage are), so it stays as written" % what
    )


def _not_an_anchor(certificate):
    """Why mending would touch a signature someone checks, or None.

    A self-signed CA is an anchor and nothing above it: nobody checks its signature (OpenSSL:
    only with X509_V_FLAG_CHECK_SS_SIGNATURE). A CA issued by another key would have its
    signature checked wherever that issuer is trusted too, and the mended copy would fail there.
    OpenSSL's own test (x509v3_cache_extensions): self-issued, and an authority key identifier,
    if any, naming its own key.
    """
    aki, ski = certificate.authority_key_identifier, certificate.subject_key_identifier
    if certificate.version != 3:
        return (
            "an X.509 version %d certificate: extensions are for version 3, so it stays as written"
            % certificate.version
        )
    if not certificate.self_issued:
        return (
            "issued by %s, not self-signed: its signature is checked where that issuer is trusted, so it stays as written"
            % certificate.issuer
        )
    if aki and aki != ski:
        return "its authority key identifier names another key than its own: its signature may be checked, so it stays as written"
    return None


def _spans(data, start, end):
    """``[(tag, element_start, content_start, content_end), ...]`` of the elements in ``data[start:end]``."""
    items = []
    position = start
    while position < end:
        tag, content_start, content_end = element(data, position, end)
        items.append((tag, position, content_start, content_end))
        position = content_end
    return items


def _normalise(der, defects):
    """``der`` re-encoded with ``defects`` mended; raises DERError where it cannot be exact."""
    if _rebuild(der, lambda extensions: extensions) != der:
        raise DERError("its encoding is not the DER this module writes")

    def mend(extensions):
        mended = []
        oids = set()
        for extension in extensions:
            fields = _spans(extension, 0, len(extension))
            fields = _spans(extension, fields[0][2], fields[0][3])  # inside the Extension SEQUENCE
            oid = extension[fields[0][1] : fields[0][3]]
            if oid in oids:
                raise DERError("an extension appears twice")
            oids.add(oid)
            if oid == _OID_BASIC_CONSTRAINTS and BASIC_CONSTRAINTS_NOT_CRITICAL in defects:
                value = fields[-1]  # extnValue; a critical FALSE written out (BER) is dropped
                extension = encode(0x30, oid + _CRITICAL + extension[value[1] : value[3]])
            mended.append(extension)
        if KEY_USAGE_MISSING in defects:
            if _OID_KEY_USAGE in oids:
                raise DERError("keyUsage present after all")
            mended.append(KEY_USAGE_EXTENSION)
        return mended

    return _rebuild(der, mend)


def _rebuild(der, edit):
    """``der`` with its extensions (a list of whole Extension elements) replaced by ``edit(extensions)``."""
    (certificate,) = _spans(der, 0, len(der))
    if certificate[0] != 0x30 or certificate[3] != len(der):
        raise DERError("not one certificate")
    parts = _spans(der, certificate[2], certificate[3])
    if len(parts) != 3 or parts[0][0] != 0x30:
        raise DERError("certificate: expected 3 parts")
    tbs = parts[0]
    fields = _spans(der, tbs[2], tbs[3])
    wrapped = [field for field in fields if field[0] == 0xA3]  # [3] EXPLICIT Extensions
    if len(wrapped) != 1:
        raise DERError("no extensions")
    wrapper = wrapped[0]
    (sequence,) = _spans(der, wrapper[2], wrapper[3])
    if sequence[0] != 0x30:
        raise DERError("extensions: not a SEQUENCE")
    extensions = [der[item[1] : item[3]] for item in _spans(der, sequence[2], sequence[3])]
    new_wrapper = encode(0xA3, encode(0x30, b"".join(edit(extensions))))
    tbs_content = der[tbs[2] : wrapper[1]] + new_wrapper + der[wrapper[3] : tbs[3]]
    rest = der[parts[1][1] : certificate[3]]  # signatureAlgorithm and the original signature
    return encode(0x30, encode(0x30, tbs_content) + rest)
