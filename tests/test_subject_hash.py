"""The subject hash in Python against OpenSSL itself: the openssl command, and a real hashed directory.

``_subject_hash`` is loaded from ``src`` (its package imported from there for the duration, so an
installed sandbox-trust cannot stand in for it). Every expectation comes from the ``openssl``
command of this machine (``x509 -subject_hash``, ``rehash``, ``verify -CApath``) or from a real
handshake through ``load_verify_locations(capath=...)``, never from a second Python model.
"""

import base64
import datetime
import functools
import importlib
import importlib.util
import os
import re
import socket
import ssl
import subprocess
import sys
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests import servers

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _os_release():
    try:
        with open("/etc/os-release") as f:
            return f.read()
    except OSError:
        return ""


BOOKWORM = "VERSION_CODENAME=bookworm" in _os_release().split()  # the host; the sid root is not
OPENSSL_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C"}  # no SSL_CERT_*, no OPENSSL_CONF

# No example database: it would leave a .hypothesis directory in the checkout.
PROPERTY = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _load():
    """``sandbox_trust._subject_hash`` from ``src``; ``sys.modules`` is left as it was found."""
    ours = lambda name: name == "sandbox_trust" or name.startswith("sandbox_trust.")  # noqa: E731
    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    try:
        package_dir = os.path.join(SRC, "sandbox_trust")
        spec = importlib.util.spec_from_file_location(
            "sandbox_trust",
            os.path.join(package_dir, "__init__.py"),
            submodule_search_locations=[package_dir],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["sandbox_trust"] = package
        spec.loader.exec_module(package)
        module = importlib.import_module("sandbox_trust._subject_hash")
    finally:
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
    assert module.__file__.startswith(SRC)
    return module


sh = _load()


# --- the openssl command ---------------------------------------------------------------------


OPENSSL_REFUSALS = (b"Could not read certificate", b"unable to load", b"Could not find certificate")


def openssl_hash(der):
    """What ``openssl x509 -noout -subject_hash`` prints, or None when OpenSSL cannot read the certificate."""
    result = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-subject_hash"],
        input=der,
        capture_output=True,
        env=OPENSSL_ENV,
    )
    if result.returncode:
        # OpenSSL 3.0 says "Could not read certificate" (or "unable to load"); 3.6 reads through
        # its store loader and says "Could not find certificate": anything else is not a refusal.
        assert any(refusal in result.stderr for refusal in OPENSSL_REFUSALS), result.stderr
        return None
    (line,) = result.stdout.decode().split()
    return line


def pem(der):
    return ssl.DER_cert_to_PEM_cert(der)


@functools.lru_cache(maxsize=None)
def bundle_ders(path):
    with open(path) as handle:
        text = handle.read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.DOTALL)
    ders = []
    for block in blocks:
        der = base64.b64decode("".join(block.split()))
        if der not in ders:
            ders.append(der)
    return tuple(ders)


def certifi_bundle():
    """certifi's cacert.pem: the real certifi if this interpreter has it, else pip's vendored copy."""
    try:
        import certifi
    except ImportError:
        from pip._vendor import certifi
    return certifi.where()


def rehash_names(ders, directory):
    """``openssl rehash``'s file name for each DER (None for one it skipped), certificates in input order."""
    os.makedirs(directory)
    for index, der in enumerate(ders):
        with open(os.path.join(directory, "cert-%04d.pem" % index), "w") as handle:
            handle.write(pem(der))
    subprocess.run(["openssl", "rehash", directory], check=True, capture_output=True, env=OPENSSL_ENV)
    by_file = {}
    for name in os.listdir(directory):
        if os.path.islink(os.path.join(directory, name)):
            by_file[os.readlink(os.path.join(directory, name))] = name
    return [by_file.get("cert-%04d.pem" % index) for index in range(len(ders))]


# --- certificates with chosen subjects -------------------------------------------------------

KEY = ec.generate_private_key(ec.SECP256R1())
ISSUER = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "subject-hash test issuer")])
_serial = iter(range(1, 1 << 30))


def certificate(subject):
    """A DER certificate (signed, valid) with ``subject``, a cryptography ``Name``."""
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ISSUER)
        .public_key(KEY.public_key())
        .serial_number(next(_serial))
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
    )
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def tlv(tag, content):
    """DER of one element, written here independently of the module under test."""
    if len(content) < 0x80:
        return bytes((tag, len(content))) + content
    size = (len(content).bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + len(content).to_bytes(size, "big") + content


def _content(element):
    """The content of a DER element whose header starts at 0."""
    first = element[1]
    header = 2 if first < 0x80 else 2 + (first & 0x7F)
    return element[header:]


PLACEHOLDER = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "subject placeholder")])
_BASE = x509.load_der_x509_certificate(certificate(PLACEHOLDER))


def with_raw_subject(name_content):
    """A certificate whose subject Name has exactly the content bytes ``name_content`` (signature stale).

    ``openssl x509 -subject_hash`` reads it without verifying the signature, which lets names that
    no builder writes (Latin-1 T61String, lone surrogates, BER forms) reach OpenSSL's parser.
    """
    der = _BASE.public_bytes(serialization.Encoding.DER)
    tbs = _BASE.tbs_certificate_bytes
    placeholder = PLACEHOLDER.public_bytes()
    assert _content(tbs).count(placeholder) == 1
    new_tbs = tlv(0x30, _content(tbs).replace(placeholder, tlv(0x30, name_content)))
    return tlv(0x30, new_tbs + _content(der)[len(tbs) :])


CN = tlv(0x06, bytes.fromhex("550403"))
O = tlv(0x06, bytes.fromhex("55040a"))  # noqa: E741


def rdn(*attributes):
    return tlv(0x31, b"".join(attributes))


def atv(tag, raw, oid=CN):
    return tlv(0x30, oid + tlv(tag, raw))


# --- every certificate of the real bundles ---------------------------------------------------


@pytest.mark.parametrize("bundle", ["system", "certifi"])
def test_bundle_names_are_openssl_rehash_names(bundle, tmp_path):
    path = SYSTEM_BUNDLE if bundle == "system" else certifi_bundle()
    ders = bundle_ders(path)
    assert len(ders) > 100
    named, eager = sh.hashed_names(ders)
    assert eager == []
    expected = rehash_names(ders, str(tmp_path / "rehash"))
    assert None not in expected
    assert [name for name, _ in named] == expected
    assert [der for _, der in named] == list(ders)
    if bundle == "system" and BOOKWORM:  # bookworm's bundle has a real collision to count (sid's has
        # none; certifi's copies vary); crafted collisions: test_hashed_names_counts_collisions_...
        assert any(name.endswith(".1") for name in expected)


def test_bundle_hashes_are_subject_hash_of_openssl_x509():
    """The same, one ``openssl x509 -subject_hash`` per certificate, on a sample of the system bundle."""
    ders = bundle_ders(SYSTEM_BUNDLE)[::7]
    assert [sh.subject_hash(der) for der in ders] == [openssl_hash(der) for der in ders]


# --- names built by cryptography -------------------------------------------------------------

WHITESPACE = " \t\n\r\x0b\x0c"
_LETTERS = "aAbBmMzZ09"
_PRINTABLE = _LETTERS + " '()+,-./:=?"  # PrintableString's alphabet: cryptography enforces it
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(_LETTERS + WHITESPACE + "\x00\x1f\x7f\xa0éÉßÿĀЖжİı中\U0001f600"),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=10,
)
_WHITESPACED = st.builds(
    lambda head, body, tail: head + body + tail,
    st.text(alphabet=WHITESPACE, max_size=3),
    _TEXT,
    st.text(alphabet=WHITESPACE, max_size=3),
)
TYPES = {
    _ASN1Type.UTF8String: _WHITESPACED,
    _ASN1Type.PrintableString: st.text(alphabet=_PRINTABLE, max_size=10),
    _ASN1Type.IA5String: _WHITESPACED,
    _ASN1Type.T61String: _WHITESPACED,  # cryptography writes UTF-8 bytes: OpenSSL reads them as Latin-1
    _ASN1Type.BMPString: _WHITESPACED,  # a character above U+FFFF becomes a surrogate pair
    _ASN1Type.UniversalString: _WHITESPACED,
    _ASN1Type.VisibleString: _WHITESPACED,
    _ASN1Type.NumericString: st.text(alphabet="0123456789 aZ\t", max_size=10),
}
OIDS = [
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.DOMAIN_COMPONENT,
    x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.2"),
]
ATTRIBUTE = st.sampled_from(sorted(TYPES, key=lambda t: t.value)).flatmap(
    lambda kind: st.tuples(st.sampled_from(OIDS), st.just(kind), TYPES[kind])
)
# cryptography refuses two attributes of one RDN with the same OID and value, whatever their types.
NAME = st.lists(
    st.lists(ATTRIBUTE, min_size=1, max_size=3, unique_by=lambda item: (item[0].dotted_string, item[2])),
    max_size=4,
)


def build_name(rdns):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an empty or long commonName only warns with _validate=False
        return x509.Name(
            [
                x509.RelativeDistinguishedName(
                    [
                        x509.NameAttribute(oid, value, _type=kind, _validate=False)
                        for oid, kind, value in attributes
                    ]
                )
                for attributes in rdns
            ]
        )


def refused_by_openssl(rdns):
    """The documented reasons OpenSSL 3 cannot read such a certificate at all."""
    for attributes in rdns:
        for _, kind, value in attributes:
            if kind is _ASN1Type.VisibleString:
                return True  # not in B_ASN1_PRINTABLE, the value type of an X509_NAME_ENTRY
            if kind is _ASN1Type.BMPString and any(ord(char) > 0xFFFF for char in value):
                return True  # a surrogate in a BMPString is an invalid character, not half of a pair
    return False


@PROPERTY
@given(NAME)
@example([[(NameOID.COMMON_NAME, _ASN1Type.UTF8String, "  Mixed\t\tCASE \n  name ")]])
@example(
    [
        [
            (NameOID.COMMON_NAME, _ASN1Type.T61String, "Ça"),
            (NameOID.ORGANIZATION_NAME, _ASN1Type.BMPString, "Ж"),
        ]
    ]
)
@example([[(NameOID.COMMON_NAME, _ASN1Type.UniversalString, "\U0001f600 X")]])
@example(
    [
        [(NameOID.COMMON_NAME, _ASN1Type.PrintableString, "")],
        [(NameOID.COMMON_NAME, _ASN1Type.IA5String, "\t")],
    ]
)
@example([])
def test_built_names_hash_as_openssl_does(rdns):
    der = certificate(build_name(rdns))
    expected = openssl_hash(der)
    event("refused by OpenSSL" if expected is None else "hashed by OpenSSL")
    event("multi-valued RDN" if any(len(attributes) > 1 for attributes in rdns) else "single-valued RDNs")
    assert sh.subject_hash(der) == expected
    assert (expected is None) == refused_by_openssl(rdns)


# --- names no builder writes ------------------------------------------------------------------

# (expected, name content): "same" = OpenSSL's hash; "refused" = OpenSSL cannot read the certificate
# and the answer is None; "eager" = OpenSSL has a hash but the answer is None, by design (docs).
CRAFTED = {
    "empty subject": ("same", b""),
    "empty RDN": ("same", rdn()),
    "empty RDN then CN": ("same", rdn() + rdn(atv(0x0C, b"x"))),
    "T61String Latin-1": ("same", rdn(atv(0x14, b"\xe9T\xff  A"))),
    "PrintableString high bytes": ("same", rdn(atv(0x13, b"\xe9 T\xc9 "))),
    "IA5String high bytes": ("same", rdn(atv(0x16, b"\xc9t"))),
    "BMPString U+FFFE": ("same", rdn(atv(0x1E, b"\xff\xfe\x00A"))),
    "UTF8String NUL": ("same", rdn(atv(0x0C, b"A\x00b"))),
    "only whitespace": ("same", rdn(atv(0x0C, b" \t\n\x0b\x0c\r"))),
    "C0 controls 1c-1f are not whitespace": ("same", rdn(atv(0x0C, b"\x1cA\x1f\x1dB\x1e"))),
    "NBSP is not whitespace": ("same", rdn(atv(0x0C, "\u00a0A\u00a0".encode()))),
    "NumericString letters kept": ("same", rdn(atv(0x12, b" Ab  1 "))),
    "NumericString tab and letters": ("same", rdn(atv(0x12, b"\taZ\t 9"))),
    "multi-valued, same type": ("same", rdn(atv(0x0C, b"b"), atv(0x0C, b"A"))),
    "multi-valued, equal after canon": ("same", rdn(atv(0x0C, b"a"), atv(0x13, b"A"))),
    "long value": ("same", rdn(atv(0x0C, b"A" * 300))),
    "non-minimal length": ("same", rdn(tlv(0x30, CN + b"\x0c\x81\x03ABC"))),
    "VisibleString": ("refused", rdn(atv(0x1A, b"A"))),
    "GeneralString": ("refused", rdn(atv(0x1B, b"A"))),
    "OCTET STRING": ("refused", rdn(atv(0x04, b"A"))),
    "BMPString odd length": ("refused", rdn(atv(0x1E, b"\x00A\x00"))),
    "BMPString surrogate pair": ("refused", rdn(atv(0x1E, "\U0001f600".encode("utf-16-be")))),
    "UniversalString above U+10FFFF": ("refused", rdn(atv(0x1C, b"\x00\x11\x00\x00"))),
    "UniversalString surrogate": ("refused", rdn(atv(0x1C, b"\x00\x00\xd8\x00"))),
    "UniversalString length 5": ("refused", rdn(atv(0x1C, b"\x00\x00\x00A\x00"))),
    "UTF8String invalid": ("refused", rdn(atv(0x0C, b"\xff"))),
    "UTF8String overlong": ("refused", rdn(atv(0x0C, b"\xc0\x80"))),
    "UTF8String surrogate": ("refused", rdn(atv(0x0C, b"\xed\xa0\x80"))),
    "UTF8String above U+10FFFF": ("refused", rdn(atv(0x0C, b"\xf4\x90\x80\x80"))),
    "OID with 0x80 padding": (
        "refused",
        rdn(tlv(0x30, tlv(0x06, bytes.fromhex("55800403")) + tlv(0x0C, b"a"))),
    ),
    "OID unterminated": ("refused", rdn(tlv(0x30, tlv(0x06, bytes.fromhex("550483")) + tlv(0x0C, b"a")))),
    "AttributeTypeAndValue with 3 fields": (
        "refused",
        rdn(tlv(0x30, CN + tlv(0x0C, b"a") + tlv(0x0C, b"b"))),
    ),
    "BIT STRING value": ("eager", rdn(atv(0x03, b"\x00A"))),
    "SEQUENCE value": ("eager", rdn(tlv(0x30, CN + tlv(0x30, tlv(0x0C, b"A"))))),
    "unknown universal tag 29": ("eager", rdn(atv(0x1D, b"A"))),
    "constructed UTF8String (BER)": ("eager", rdn(tlv(0x30, CN + tlv(0x2C, tlv(0x0C, b"a"))))),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_names(case):
    expected, content = CRAFTED[case]
    der = with_raw_subject(content)
    reference = openssl_hash(der)
    mine = sh.subject_hash(der)
    if expected == "same":
        assert reference is not None
        assert mine == reference
    elif expected == "refused":
        assert reference is None
        assert mine is None
    else:
        assert reference is not None
        assert mine is None


# Value types whose canonical form this module computes; any other gives None (eager) by design.
SUPPORTED_TAGS = (0x0C, 0x12, 0x13, 0x14, 0x16, 0x1C, 0x1E)
_RAW_BYTES = st.lists(
    st.one_of(
        st.sampled_from(b" \t\n\r\x0b\x0cAaZz\x00\x7f\x80\xa0\xc3\xa9\xd8\xdf\xe9\xff"), st.integers(0, 255)
    ),
    max_size=12,
).map(bytes)
# Well-formed text in the tag's own encoding half the time, so that most names reach the hash.
_ENCODINGS = {0x0C: "utf-8", 0x1C: "utf-32-be", 0x1E: "utf-16-be"}
RAW_VALUE = st.sampled_from(SUPPORTED_TAGS * 3 + (0x1A, 0x1B, 0x03, 0x04, 0x1D)).flatmap(
    lambda tag: st.tuples(
        st.just(tag),
        st.one_of(_RAW_BYTES, _WHITESPACED.map(lambda text: text.encode(_ENCODINGS.get(tag, "utf-8")))),
    )
)
RAW_ATTRIBUTE = st.tuples(
    st.sampled_from(
        [CN, CN, O, tlv(0x06, bytes.fromhex("2b0601040183b2430102")), tlv(0x06, bytes.fromhex("5580"))]
    ),
    RAW_VALUE,
).map(lambda item: (item[0],) + item[1])
RAW_NAME = st.lists(st.lists(RAW_ATTRIBUTE, max_size=3), max_size=3)


@PROPERTY
@given(RAW_NAME)
def test_raw_names_hash_as_openssl_does(rdns):
    """Arbitrary bytes in every value type: OpenSSL's hash, or None where OpenSSL refuses or by design."""
    der = with_raw_subject(
        b"".join(rdn(*(tlv(0x30, oid + tlv(tag, raw)) for oid, tag, raw in rd)) for rd in rdns)
    )
    reference = openssl_hash(der)
    mine = sh.subject_hash(der)
    event("hashed by OpenSSL" if reference else "refused by OpenSSL")
    event("hashed here" if mine else "None here")
    if mine is not None:
        assert mine == reference
    elif reference is not None:  # OpenSSL has a hash: only for a value type outside SUPPORTED_TAGS
        assert any(tag not in SUPPORTED_TAGS for rd in rdns for _, tag, _ in rd)


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=64), st.integers(0, 2000), st.binary(max_size=4))
def test_malformed_input_gives_none_never_raises(noise, cut, splice):
    real = bundle_ders(SYSTEM_BUNDLE)[0]
    for data in (noise, real[:cut], real[:cut] + splice + real[cut + len(splice) :]):
        result = sh.subject_hash(data)
        assert result is None or re.fullmatch("[0-9a-f]{8}", result)


@pytest.mark.parametrize("value", [None, "text", 12, 10**12, -1, 1.5, [48, 0]])
def test_non_bytes_give_none(value):
    assert sh.subject_hash(value) is None


def test_bytes_like_are_accepted():
    der = bundle_ders(SYSTEM_BUNDLE)[0]
    assert sh.subject_hash(bytearray(der)) == sh.subject_hash(memoryview(der)) == openssl_hash(der)


# --- hashed_names -----------------------------------------------------------------------------


def test_hashed_names_counts_collisions_in_input_order_and_drops_duplicates():
    plain = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Collide Here")]))
    spaced = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "  collide   HERE ")]))
    other = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "elsewhere")]))
    visible = certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "v", _type=_ASN1Type.VisibleString)])
    )
    named, eager = sh.hashed_names([plain, visible, other, spaced, plain, bytearray(other)])
    digest = openssl_hash(plain)
    assert openssl_hash(spaced) == digest  # equal canonical names, one hash
    assert named == [
        ("%s.0" % digest, plain),
        ("%s.0" % openssl_hash(other), other),
        ("%s.1" % digest, spaced),
    ]
    assert eager == [visible]
    assert sh.hashed_names([]) == ([], [])


# --- the real thing: a hashed directory that OpenSSL looks certificates up in ---------------------


def write_hashed_directory(directory, named):
    os.makedirs(directory)
    for name, der in named:
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(pem(der))


def handshake(capath, origin):
    """True when a client context that trusts only ``capath`` verifies ``origin``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(capath=capath)
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing read yet: the lookup is lazy
    with socket.create_connection(("127.0.0.1", origin.port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost"):
                return True
        except ssl.SSLCertVerificationError:
            return False


def test_hashed_directory_verifies_an_origin_and_not_under_a_wrong_name(tmp_path):
    system = list(bundle_ders(SYSTEM_BUNDLE))
    (tmp_path / "unrelated").mkdir()
    with servers.Origin(tmp_path) as origin, servers.Origin(tmp_path / "unrelated") as unrelated:
        ca_der = ssl.PEM_cert_to_DER_cert(origin.ca.cert_pem.bytes().decode())
        named, eager = sh.hashed_names(system + [ca_der])
        assert eager == []
        (ca_name,) = [name for name, der in named if der == ca_der]
        directory = str(tmp_path / "hashed")
        write_hashed_directory(directory, named)

        assert handshake(directory, origin)
        assert not handshake(directory, unrelated)  # negative twin: a CA that is not in the directory

        digest, index = ca_name.split(".")
        wrong = "%08x.%s" % (int(digest, 16) ^ 1, index)
        os.rename(os.path.join(directory, ca_name), os.path.join(directory, wrong))
        assert not handshake(directory, origin)  # negative twin: the CA is there, under a wrong name


def test_openssl_verify_finds_in_the_directory_what_it_finds_in_the_bundle(tmp_path):
    """``openssl verify`` of each system root: through ``-CApath`` with our names, as through ``-CAfile``."""
    ders = bundle_ders(SYSTEM_BUNDLE)
    named, _ = sh.hashed_names(ders)
    directory = str(tmp_path / "hashed")
    write_hashed_directory(directory, named)
    roots = str(tmp_path / "roots")
    os.makedirs(roots)
    paths = []
    for index, der in enumerate(ders):
        paths.append(os.path.join(roots, "%04d.pem" % index))
        with open(paths[-1], "w") as handle:
            handle.write(pem(der))

    def verified(*trust):
        command = [
            "openssl",
            "verify",
            "-no-CAfile",
            "-no-CApath",
            "-no-CAstore",
            *trust,
            "-no_check_time",
            *paths,
        ]
        # Default locations point nowhere, so only the trust named here can verify anything.
        env = dict(OPENSSL_ENV, SSL_CERT_DIR=str(tmp_path / "none"), SSL_CERT_FILE=str(tmp_path / "none.pem"))
        result = subprocess.run(command, capture_output=True, text=True, env=env)
        return [line for line in result.stdout.splitlines() if line.endswith(": OK")]

    # One root of this bundle fails either way (OpenSSL 3.0 rejects it as its own anchor).
    from_bundle = verified("-CAfile", SYSTEM_BUNDLE)
    assert len(from_bundle) >= len(ders) - 3
    assert verified("-CApath", directory) == from_bundle
    # Negative twin: the same files under other names are found by nobody.
    for name in os.listdir(directory):
        os.rename(os.path.join(directory, name), os.path.join(directory, name + ".moved"))
    assert verified("-CApath", directory) == []
