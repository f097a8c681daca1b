"""A minimal DER reader for X.509 certificates: exactly what ``sandbox-trust status`` shows.

Subject, validity and the four extensions that decide whether OpenSSL accepts a certificate as a
CA (basicConstraints, keyUsage, subject and authority key identifiers), plus the rules that
``VERIFY_X509_STRICT`` adds to that decision. Standard library only: the CLI must not need
``cryptography`` to explain why a CA is refused.
"""

from sandbox_trust._der import DERError
from sandbox_trust._der import children as _children
from sandbox_trust._der import element as _tlv

OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
OID_SUBJECT_KEY_IDENTIFIER = "2.5.29.14"
OID_AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"

# RFC 4514 section 3 names, plus the few others every CA tool prints.
ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}

# keyUsage bits, numbered from the most significant bit of the first byte (RFC 5280 4.2.1.3).
KEY_USAGE_BITS = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
)

# Directory string types: tag -> codec.
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "ascii",  # NumericString
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # TeletexString: in practice Latin-1
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def _expect(item, tag, what):
    if item[0] != tag:
        raise DERError("%s: expected tag 0x%02x, found 0x%02x" % (what, tag, item[0]))
    return item


def _oid(content):
    if not content:
        raise DERError("empty object identifier")
    first = content[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(arc) for arc in arcs)


def _time(tag, content):
    text = content.decode("ascii", "replace")
    if tag == 0x17:  # UTCTime YYMMDDHHMM[SS]Z; RFC 5280: YY >= 50 means 19YY
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSS[.fff]Z
        raise DERError("validity: unexpected time tag 0x%02x" % tag)
    if not text.endswith("Z"):
        raise DERError("validity: time %r is not UTC" % text)
    digits = text[:-1].split(".")[0]
    if len(digits) == 12:
        digits += "00"
    # ISO 8601 text, not datetime: the first client context checks the CA's dates, and importing
    # datetime there cost 4.6M instructions (3.11); strptime would import _strptime (re, locale).
    # Fixed-width UTC text compares in time order. The same dates datetime accepts.
    if len(digits) != 14 or not digits.isdigit():
        raise DERError("validity: bad time %r" % text)
    year = int(digits[:4])
    month, day, hour, minute, second = [int(digits[i : i + 2]) for i in range(4, 14, 2)]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= days[month - 1]):
        raise DERError("validity: bad time %r" % text)
    if not (hour < 24 and minute < 60 and second < 60):
        raise DERError("validity: bad time %r" % text)
    return "%s-%s-%sT%s:%s:%sZ" % (
        digits[:4],
        digits[4:6],
        digits[6:8],
        digits[8:10],
        digits[10:12],
        digits[12:14],
    )


def _escape(value):
    """RFC 4514 section 2.4 escaping of an attribute value."""
    out = []
    for index, char in enumerate(value):
        if (
            char in ',+"\\<>;'
            or (char == "#" and index == 0)
            or (char == " " and index in (0, len(value) - 1))
        ):
            out.append("\\" + char)
        elif char == "\x00":
            out.append("\\00")
        else:
            out.append(char)
    return "".join(out)


def _name(data, start, end):
    """RFC 4514 string of a Name: RDNs last-to-first ("CN=...,O=..."), unknown types as dotted OIDs."""
    rdns = []
    for rdn in _children(data, start, end):
        _expect(rdn, 0x31, "name")
        attributes = []
        for attribute in _children(data, rdn[1], rdn[2]):
            oid_item, value_item = _children(data, attribute[1], attribute[2])[:2]
            oid = _oid(data[oid_item[1] : oid_item[2]])
            tag, value_start, value_end = value_item
            codec = _STRING_CODECS.get(tag)
            try:
                value = _escape(data[value_start:value_end].decode(codec)) if codec else None
            except UnicodeDecodeError:
                value = None
            if value is None:  # RFC 4514 2.4: the DER encoding in hex (the value follows the OID)
                value = "#" + data[oid_item[2] : value_end].hex()
            attributes.append("%s=%s" % (ATTRIBUTE_NAMES.get(oid, oid), value))
        rdns.append("+".join(attributes))
    return ",".join(reversed(rdns))


class BasicConstraints:
    __slots__ = ("critical", "ca", "path_length")

    def __init__(self, critical, ca, path_length):
        self.critical = critical
        self.ca = ca
        self.path_length = path_length


class KeyUsage:
    __slots__ = ("critical", "usages")

    def __init__(self, critical, usages):
        self.critical = critical
        self.usages = frozenset(usages)


class Certificate:
    """What status reports of one certificate; ``None`` for an extension that is absent.

    ``not_before``/``not_after``: UTC as ISO 8601 text (``2026-12-05T09:00:00Z``), which compares
    in time order with ``utc_now()``.
    """

    __slots__ = (
        "der",
        "version",
        "subject",
        "issuer",
        "not_before",
        "not_after",
        "basic_constraints",
        "key_usage",
        "subject_key_identifier",
        "authority_key_identifier",
    )

    def __init__(self, der):
        self.der = der
        self.basic_constraints = None
        self.key_usage = None
        self.subject_key_identifier = None
        self.authority_key_identifier = None  # hex keyid, "" when present without a keyid
        _parse(self, der)

    @property
    def self_issued(self):
        return self.subject == self.issuer

    def extensions(self):
        """The four extensions as plain data (JSON-ready)."""
        bc, ku = self.basic_constraints, self.key_usage
        return {
            "basicConstraints": bc and {"critical": bc.critical, "ca": bc.ca, "path_length": bc.path_length},
            "keyUsage": ku
            and {"critical": ku.critical, "usages": sorted(ku.usages, key=KEY_USAGE_BITS.index)},
            "subjectKeyIdentifier": self.subject_key_identifier,
            "authorityKeyIdentifier": self.authority_key_identifier,
        }


def _parse(certificate, der):
    _, start, end = _expect(_tlv(der, 0, len(der)), 0x30, "certificate")
    if end != len(der):
        raise DERError("trailing bytes after the certificate")
    parts = _children(der, start, end)
    if len(parts) != 3:
        raise DERError("certificate: expected 3 parts, found %d" % len(parts))
    tbs = _children(der, _expect(parts[0], 0x30, "tbsCertificate")[1], parts[0][2])
    certificate.version = 1
    if tbs and tbs[0][0] == 0xA0:  # [0] EXPLICIT version
        _, version_start, version_end = _children(der, tbs[0][1], tbs[0][2])[0]
        certificate.version = int.from_bytes(der[version_start:version_end], "big") + 1
        tbs = tbs[1:]
    if len(tbs) < 6:
        raise DERError("tbsCertificate: too few fields")
    serial, signature, issuer, validity, subject, _spki = tbs[:6]
    _expect(serial, 0x02, "serialNumber")
    _expect(signature, 0x30, "signature")
    certificate.issuer = _name(der, *_expect(issuer, 0x30, "issuer")[1:])
    certificate.subject = _name(der, *_expect(subject, 0x30, "subject")[1:])
    times = _children(der, _expect(validity, 0x30, "validity")[1], validity[2])
    if len(times) != 2:
        raise DERError("validity: expected 2 times")
    certificate.not_before = _time(times[0][0], der[times[0][1] : times[0][2]])
    certificate.not_after = _time(times[1][0], der[times[1][1] : times[1][2]])
    for item in tbs[6:]:
        if item[0] == 0xA3:  # [3] EXPLICIT Extensions
            (sequence,) = _children(der, item[1], item[2])
            for extension in _children(der, *_expect(sequence, 0x30, "extensions")[1:]):
                _extension(certificate, der, extension)


def _extension(certificate, der, extension):
    fields = _children(der, extension[1], extension[2])
    oid = _oid(der[fields[0][1] : fields[0][2]])
    critical = False
    if fields[1][0] == 0x01:  # BOOLEAN critical DEFAULT FALSE
        critical = der[fields[1][1]] != 0
        fields = fields[1:]
    _, start, end = _expect(fields[1], 0x04, "extension value")
    if oid == OID_BASIC_CONSTRAINTS:
        _, seq_start, seq_end = _expect(_tlv(der, start, end), 0x30, "basicConstraints")
        ca, path_length = False, None
        for tag, item_start, item_end in _children(der, seq_start, seq_end):
            if tag == 0x01:
                ca = der[item_start] != 0
            elif tag == 0x02:
                path_length = int.from_bytes(der[item_start:item_end], "big")
        certificate.basic_constraints = BasicConstraints(critical, ca, path_length)
    elif oid == OID_KEY_USAGE:
        _, bits_start, bits_end = _expect(_tlv(der, start, end), 0x03, "keyUsage")
        bits = der[bits_start + 1 : bits_end]  # first content byte: count of unused bits
        usages = [
            name
            for index, name in enumerate(KEY_USAGE_BITS)
            if index // 8 < len(bits) and bits[index // 8] & (0x80 >> index % 8)
        ]
        certificate.key_usage = KeyUsage(critical, usages)
    elif oid == OID_SUBJECT_KEY_IDENTIFIER:
        _, id_start, id_end = _expect(_tlv(der, start, end), 0x04, "subjectKeyIdentifier")
        certificate.subject_key_identifier = der[id_start:id_end].hex()
    elif oid == OID_AUTHORITY_KEY_IDENTIFIER:
        _, seq_start, seq_end = _expect(_tlv(der, start, end), 0x30, "authorityKeyIdentifier")
        keyid = ""
        for tag, item_start, item_end in _children(der, seq_start, seq_end):
            if tag == 0x80:  # [0] IMPLICIT KeyIdentifier
                keyid = der[item_start:item_end].hex()
        certificate.authority_key_identifier = keyid


def utc_now():
    """Now, in the form of ``Certificate.not_before``/``not_after``."""
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_certificate(der):
    """A ``Certificate`` from DER bytes; raises DERError."""
    try:
        return Certificate(bytes(der))
    except (IndexError, ValueError) as exc:
        if isinstance(exc, DERError):
            raise
        raise DERError("malformed certificate (%s)" % exc) from None


# --- what OpenSSL requires of a CA ------------------------------------------------------------

# OpenSSL's error strings, so a user can match the diagnosis to the failure they saw.
INVALID_CA = "invalid CA certificate"


class Issue:
    """One reason a CA is refused: by every client (``strict_only`` False) or under VERIFY_X509_STRICT."""

    __slots__ = ("extension", "problem", "openssl_error", "strict_only")

    def __init__(self, extension, problem, openssl_error, strict_only):
        self.extension = extension
        self.problem = problem
        self.openssl_error = openssl_error
        self.strict_only = strict_only

    def as_dict(self):
        return {slot: getattr(self, slot) for slot in self.__slots__}


def ca_issues(certificate):
    """Why OpenSSL 3 would refuse ``certificate`` as a trust anchor (x509_vfy.c check_chain_extensions).

    Without VERIFY_X509_STRICT a CA needs basicConstraints cA=TRUE, or no basicConstraints and
    either version 1 and self-issued or keyUsage with keyCertSign; keyUsage, when present, must
    allow keyCertSign. VERIFY_X509_STRICT (Python 3.13's create_default_context, urllib3 2.x on
    3.13) also requires basicConstraints present, cA=TRUE and critical, keyUsage present, and a
    Subject Key Identifier (RFC 5280 4.2.1.2).
    """
    bc, ku = certificate.basic_constraints, certificate.key_usage
    issues = []
    if ku is not None and "keyCertSign" not in ku.usages:
        issues.append(Issue("keyUsage", "does not allow keyCertSign", INVALID_CA, False))
    if bc is not None and not bc.ca:
        issues.append(Issue("basicConstraints", "says cA=FALSE", INVALID_CA, False))
    if bc is None:
        v1_root = certificate.version == 1 and certificate.self_issued
        issues.append(
            Issue(
                "basicConstraints",
                "missing",
                INVALID_CA,
                v1_root or (ku is not None and "keyCertSign" in ku.usages),
            )
        )
    elif bc.ca and not bc.critical:
        issues.append(
            Issue(
                "basicConstraints",
                "not marked critical",
                "Basic Constraints of CA cert not marked critical",
                True,
            )
        )
    if ku is None:
        # OpenSSL checks a pathLenConstraint's keyCertSign before the rest (x509_vfy.c check_extensions):
        # without keyUsage, that is the message a strict handshake shows.
        if bc is not None and bc.path_length is not None:
            message = "Path length given without key usage keyCertSign"
            issues.insert(0, Issue("keyUsage", "missing", message, True))
        else:
            issues.append(Issue("keyUsage", "missing", "CA cert does not include key usage extension", True))
    if certificate.subject_key_identifier is None:
        # Reported as "Missing Authority Key Identifier" on the leaf when the interceptor cannot
        # give its leaves an AKI key id (it has none to copy).
        issues.append(Issue("subjectKeyIdentifier", "missing", "Missing Subject Key Identifier", True))
    return issues
