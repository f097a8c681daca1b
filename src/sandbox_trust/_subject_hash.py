"""File names for a hashed certificate directory: ``openssl x509 -noout -subject_hash`` in Python.

OpenSSL's directory lookup (``load_verify_locations(capath=...)``) opens ``<hash>.0``, ``<hash>.1``,
... where ``hash`` is ``X509_NAME_hash_ex`` of the issuer it looks for: SHA-1 over the name's
canonical encoding (``x509_name_canon`` in crypto/x509/x_name.c), first four bytes little-endian,
as ``%08x``. The canonical encoding is the name's RDN SETs re-encoded in DER, concatenated without
the outer SEQUENCE header, with every string value of the types ``asn1_string_canon`` handles
converted to UTF-8, stripped of ASCII whitespace at both ends, internal runs collapsed to one space,
ASCII letters lowercased, and re-tagged UTF8String.

Where OpenSSL would refuse the name (so the certificate cannot load at all) or this module is not
sure to match it byte for byte, the answer is None and the caller loads that certificate eagerly.

Standard library only; DER framing comes from ``_der``, which ``_x509`` shares (``_x509`` itself would
bring ``datetime``, which only dates need).
"""

from sandbox_trust._der import children, element, encode

# asn1_string_canon's ASN1_MASK_CANON, read by ASN1_STRING_to_UTF8 (crypto/asn1/a_strex.c
# tag2nbyte): the one-byte types are taken byte for byte as code points, i.e. Latin-1, unchecked.
# VisibleString is in that mask too, but never gets there: an attribute value is ASN1_PRINTABLE,
# whose B_ASN1_PRINTABLE lacks it, so OpenSSL 3.0 refuses the whole certificate (tried).
_LATIN1 = frozenset((0x13, 0x14, 0x16))  # PrintableString, T61String, IA5String
_UTF8STRING = 0x0C
_UNIVERSALSTRING = 0x1C
_BMPSTRING = 0x1E
# NumericString is outside ASN1_MASK_CANON: OpenSSL copies it unchanged.
_NUMERICSTRING = 0x12


class _Uncertain(Exception):
    """OpenSSL refuses this name, or its canonical form is not known here with certainty."""


def _check_oid(content):
    # c2i_ASN1_OBJECT (crypto/asn1/a_object.c): non-empty, last octet ends a subidentifier,
    # no subidentifier starts with 0x80 (X.690 8.19.2).
    if not content or content[-1] & 0x80:
        raise _Uncertain("object identifier")
    previous = 0
    for byte in content:
        if byte == 0x80 and not previous & 0x80:
            raise _Uncertain("object identifier")
        previous = byte


def _text(tag, raw):
    """The value as OpenSSL's ASN1_STRING_to_UTF8 produces it; raises _Uncertain where that fails."""
    if tag == _UTF8STRING:
        raw.decode("utf-8")  # a_mbstr.c rejects malformed UTF-8, surrogates and > U+10FFFF alike
        return raw
    if tag in _LATIN1:
        return raw.decode("latin-1").encode("utf-8")
    if tag == _BMPSTRING:
        # UCS-2, two bytes a character: a surrogate is an invalid character to OpenSSL, never half
        # of a pair, and an odd length is an error.
        if len(raw) % 2 or any(0xD8 <= high <= 0xDF for high in raw[::2]):
            raise _Uncertain("BMPString")
        return raw.decode("utf-16-be").encode("utf-8")
    if tag == _UNIVERSALSTRING:
        if len(raw) % 4:
            raise _Uncertain("UniversalString")
        return raw.decode("utf-32-be").encode("utf-8")  # refuses surrogates and > U+10FFFF
    raise _Uncertain("value type 0x%02x" % tag)


def _canonical_value(tag, raw):
    if tag == _NUMERICSTRING:
        return encode(tag, raw)
    # bytes.split() and ossl_isspace agree: ASCII space, \t, \n, \v, \f, \r; bytes >= 0x80 are
    # never whitespace and bytes.lower() changes only A-Z, as ossl_tolower does.
    return encode(_UTF8STRING, b" ".join(_text(tag, raw).split()).lower())


def _subject(der):
    """``(start, end)`` of the subject Name's content in a DER certificate."""
    tag, start, end = element(der, 0, len(der))
    if tag != 0x30 or end != len(der):
        raise _Uncertain("certificate")
    parts = children(der, start, end)
    if len(parts) != 3 or parts[0][0] != 0x30:
        raise _Uncertain("certificate")
    tbs = children(der, parts[0][1], parts[0][2])
    if tbs and tbs[0][0] == 0xA0:  # [0] EXPLICIT version
        tbs = tbs[1:]
    if len(tbs) < 6 or [item[0] for item in tbs[:5]] != [0x02, 0x30, 0x30, 0x30, 0x30]:
        raise _Uncertain("tbsCertificate")
    return tbs[4][1], tbs[4][2]


def _canonical_name(der, start, end):
    """x509_name_canon of the Name whose content is ``der[start:end]``; raises _Uncertain."""
    sets = []
    for rdn_tag, rdn_start, rdn_end in children(der, start, end):
        if rdn_tag != 0x31:
            raise _Uncertain("RDN")
        attributes = []
        for attribute_tag, attribute_start, attribute_end in children(der, rdn_start, rdn_end):
            fields = children(der, attribute_start, attribute_end)
            if attribute_tag != 0x30 or len(fields) != 2 or fields[0][0] != 0x06:
                raise _Uncertain("AttributeTypeAndValue")
            (_, oid_start, oid_end), (value_tag, value_start, value_end) = fields
            oid = der[oid_start:oid_end]
            _check_oid(oid)
            value = _canonical_value(value_tag, der[value_start:value_end])
            attributes.append(encode(0x30, encode(0x06, oid) + value))
        if not attributes:
            continue  # x509_name_canon groups entries by RDN: an empty SET leaves none (tried)
        # A DER SET OF is ordered by its elements' encodings (X.690 11.6), as i2d sorts it.
        sets.append(encode(0x31, b"".join(sorted(attributes))))
    return b"".join(sets)  # an empty Name canonicalises to no bytes at all


def subject_hash(der):
    """``openssl x509 -noout -subject_hash`` of a DER certificate, or None if not certain."""
    try:
        der = bytes(memoryview(der))  # bytes-like only: bytes(12) would be twelve zero bytes
        canonical = _canonical_name(der, *_subject(der))
        import hashlib  # here, not at module level: its OpenSSL set-up is costly

        digest = hashlib.sha1(canonical, usedforsecurity=False).digest()
    except (_Uncertain, ValueError, IndexError, TypeError):
        return None
    return "%08x" % int.from_bytes(digest[:4], "little")


def hashed_names(ders):
    """``(named, eager)``: ``[(file_name, der), ...]`` named ``<hash>.<n>``, and the DERs without one.

    ``n`` counts certificates of the same hash from 0 in input order, as the lookup expects;
    a DER seen before is dropped.
    """
    named, eager = [], []
    seen = set()
    counts = {}
    for der in ders:
        try:
            key = bytes(memoryview(der))
        except TypeError:
            eager.append(der)
            continue
        if key in seen:
            continue
        seen.add(key)
        digest = subject_hash(key)
        if digest is None:
            eager.append(der)
            continue
        index = counts.get(digest, 0)
        counts[digest] = index + 1
        named.append(("%s.%d" % (digest, index), der))
    return named, eager
