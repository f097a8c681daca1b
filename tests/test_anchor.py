"""A flawed injected CA under strict verification (Python 3.13+): the anchor normalised, never its powers.

Real handshakes: local TLS origins whose leaves are signed by CAs minted (``tests/flawed_cas.py``)
with each encoding defect and each combination, probed by urllib, requests, httpx and aiohttp in
one process per case (``tests/scripts/strict_clients.py``), in one venv per interpreter: this
one (Debian's 3.14 and 3.15 when the suite runs in the sid root) and pyenv's 3.13. Each trusted
case has its twins: opted out, ``SANDBOX_TRUST_REPAIR_CA=0``, an unrelated CA with the same
defects; and what must stay as written (not a CA, a keyUsage without keyCertSign, no
basicConstraints, no Subject Key Identifier) and stay strict (a leaf without Authority Key
Identifier, a flawed intermediate) gets exactly what it gets without the package.

``_anchor`` itself is loaded from ``src`` for the round-trip, refusal and property tests.
"""

import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import socket
import ssl
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import flawed_cas
from tests.harness import SRC, find_python, load_boot

# No example database: it would leave a .hypothesis directory in the checkout.
PROPERTY = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

VERIFY_X509_STRICT = 0x20
X509_V_FLAG_CHECK_SS_SIGNATURE = 0x4000  # OpenSSL's x509_vfy.h; Python has no name for it
CLIENTS = ("urllib_request", "requests", "httpx", "aiohttp")
PACKAGES = ("requests", "httpx", "aiohttp", "certifi")


def _unique(paths):
    seen = []
    for path in paths:
        if path and os.path.realpath(path) not in map(os.path.realpath, seen):
            seen.append(path)
    return seen


# This interpreter (3.14/3.15 in the sid sessions; 3.11 elsewhere: the anchor is equivalent without
# strict too) and pyenv's 3.13 when there is one.
INTERPRETERS = _unique([sys.executable, find_python("3.13")])


def _load():
    """``sandbox_trust._anchor`` and ``_ca`` from ``src``; ``sys.modules`` is left as it was found."""
    ours = lambda name: name == "sandbox_trust" or name.startswith("sandbox_trust.")  # noqa: E731
    saved = {
        name: module for name, module in sys.modules.items() if ours(name) or name == "_sandbox_trust_boot"
    }
    for name in saved:
        del sys.modules[name]
    try:
        sys.modules["_sandbox_trust_boot"] = load_boot()  # loaded under another name: it does not start
        package_dir = os.path.join(SRC, "sandbox_trust")
        spec = importlib.util.spec_from_file_location(
            "sandbox_trust",
            os.path.join(package_dir, "__init__.py"),
            submodule_search_locations=[package_dir],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["sandbox_trust"] = package
        spec.loader.exec_module(package)
        modules = (
            importlib.import_module("sandbox_trust._anchor"),
            importlib.import_module("sandbox_trust._ca"),
            importlib.import_module("sandbox_trust._x509"),
        )
    finally:
        for name in [name for name in sys.modules if ours(name) or name == "_sandbox_trust_boot"]:
            del sys.modules[name]
        sys.modules.update(saved)
    assert all(module.__file__.startswith(SRC) for module in modules)
    return modules


_anchor, _ca, _x509 = _load()


def der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


# --- the origins ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def origins(tmp_path_factory):
    """name -> FlawedOrigin, and ``unrelated-NAME``: another CA with the same defects signs it."""
    directory = tmp_path_factory.mktemp("flawed")
    made = {}
    for name, defects in {**flawed_cas.REPAIRABLE, **flawed_cas.NOT_REPAIRABLE}.items():
        ca, key = flawed_cas.mint_ca("%s CA" % name, **defects)
        made[name] = flawed_cas.FlawedOrigin(directory / name, ca, key)
    for name, defects in flawed_cas.REPAIRABLE.items():
        ca, key = flawed_cas.mint_ca("%s CA" % name, **defects)  # same name, another key
        made["unrelated-" + name] = flawed_cas.FlawedOrigin(directory / ("unrelated-" + name), ca, key)
    both = flawed_cas.mint_ca("both, sent by the server", **flawed_cas.REPAIRABLE["both"])
    made["both-sent"] = flawed_cas.FlawedOrigin(directory / "both-sent", *both, send_ca=True)
    good = flawed_cas.mint_ca("good CA")
    made["leaf-without-aki"] = flawed_cas.FlawedOrigin(directory / "leaf-without-aki", *good, leaf_aki=False)
    intermediate, intermediate_key = flawed_cas.mint_ca(
        "flawed intermediate", issuer=good, **flawed_cas.REPAIRABLE["both"]
    )
    made["flawed-intermediate"] = flawed_cas.FlawedOrigin(
        directory / "flawed-intermediate", good[0], intermediate_key, intermediates=(intermediate,)
    )
    for origin in made.values():
        origin.__enter__()
    yield made
    for origin in made.values():
        origin.__exit__()


@pytest.fixture(
    scope="module", params=INTERPRETERS, ids=lambda path: os.path.basename(os.path.realpath(path))
)
def venv(request, make_venv):
    """One venv per interpreter with the package and the strict clients."""
    return make_venv(*PACKAGES, python=request.param)


def clients(run, venv, origin, ca, **env):
    """``(report, process)`` of the strict clients against ``origin`` with ``ca`` injected."""
    return run.script(venv, "strict_clients", origin.url, SANDBOX_CA_CERT=ca.ca_path, **env)


def outcomes(report):
    return {client: report[client] for client in CLIENTS}


def every(outcome):
    return {client: outcome for client in CLIENTS}


def strict(report):
    return bool(report["context"]["verify_flags"] & VERIFY_X509_STRICT)


# --- in-process trust, per defect -------------------------------------------------------------


@pytest.mark.parametrize("name", [*flawed_cas.REPAIRABLE, "both-sent"])
def test_a_ca_flawed_only_in_its_encoding_is_trusted_by_every_strict_client(run, venv, origins, name):
    origin = origins[name]
    report, process = clients(run, venv, origin, origin)
    assert outcomes(report) == every("trusted"), process.stderr
    assert process.stderr == ""  # a repair is information, not a problem: nothing on stderr

    opted_out, _ = clients(run, venv, origin, origin, SANDBOX_TRUST_DISABLE="1")
    assert outcomes(opted_out) == every("rejected")
    # Verify flags, mode and hostname check: what the interpreter sets, untouched.
    assert report["context"] == opted_out["context"]

    as_written, process = clients(run, venv, origin, origin, SANDBOX_TRUST_REPAIR_CA="0")
    assert outcomes(as_written) == every("rejected" if strict(report) else "trusted")
    if strict(report):  # the one line says why the CA was not normalised
        assert "SANDBOX_TRUST_REPAIR_CA=0" in process.stderr and "VERIFY_X509_STRICT" in process.stderr

    if not name.startswith("both-sent"):
        unrelated, _ = clients(run, venv, origins["unrelated-" + name], origin)
        assert outcomes(unrelated) == every("rejected")


@pytest.mark.parametrize("name", flawed_cas.NOT_REPAIRABLE)
def test_a_ca_with_other_defects_stays_as_written(run, venv, origins, name):
    """Not a CA, a keyUsage without keyCertSign, no basicConstraints, no SKI: the same outcome as
    with SANDBOX_TRUST_REPAIR_CA=0, rejected wherever strict verification applies."""
    origin = origins[name]
    report, process = clients(run, venv, origin, origin)
    as_written, _ = clients(run, venv, origin, origin, SANDBOX_TRUST_REPAIR_CA="0")
    assert outcomes(report) == outcomes(as_written)
    if strict(report) or name in ("ca-false", "key-usage-without-cert-sign"):
        assert outcomes(report) == every("rejected")
    if name in ("ca-false", "key-usage-without-cert-sign"):
        # No client accepts it as a CA, strict or not: the one line says that, as status does.
        assert "is not a usable CA certificate" in process.stderr, process.stderr
    elif strict(report):
        assert "not normalised: " in process.stderr, process.stderr
    if not strict(report):
        assert outcomes(report) == every(
            "rejected" if name in ("ca-false", "key-usage-without-cert-sign") else "trusted"
        )


@pytest.mark.parametrize("name", ["leaf-without-aki", "flawed-intermediate"])
def test_every_other_chain_stays_strict(run, venv, origins, name):
    """A good CA's strict-violating leaf, a chain through a flawed intermediate: as stock Python."""
    origin = origins[name]
    report, _ = clients(run, venv, origin, origin)
    assert outcomes(report) == every("rejected" if strict(report) else "trusted")


def test_debug_says_it_once(run, venv, origins):
    origin = origins["both"]
    report, process = clients(run, venv, origin, origin, SANDBOX_TRUST_DEBUG="1")
    assert outcomes(report) == every("trusted")
    lines = [line for line in process.stderr.splitlines() if "normalised as a trust anchor" in line]
    assert len(lines) == 1, process.stderr
    assert (
        "basicConstraints marked critical" in lines[0] and "keyUsage keyCertSign, cRLSign added" in lines[0]
    )


# --- children and bundles ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_strict_venv(make_venv):
    """A venv without sandbox-trust of a strict interpreter (3.13+): it trusts what SSL_CERT_FILE holds."""
    strict_python = next((path for path in INTERPRETERS if _version(path) >= (3, 13)), None)
    if strict_python is None:
        pytest.skip("needs a CPython 3.13 or later")
    return make_venv(python=strict_python, with_package=False)


def _version(python):
    import subprocess

    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True
    )
    return tuple(map(int, out.stdout.split()))


@pytest.mark.parametrize("client", ["child_python", "child_curl", "child_node", "child_git"])
def test_children_trust_the_normalised_anchor(run, make_venv, bare_strict_venv, origins, client):
    """Exported bundles hold the normalised CA: a strict Python without the package, curl, node,
    git. With SANDBOX_TRUST_REPAIR_CA=0 they hold it as written, which only the strict one rejects."""
    if client != "child_python" and not shutil.which(client.split("_")[1]):
        pytest.skip("%s is not installed" % client.split("_")[1])
    parent = make_venv(*PACKAGES)
    origin = origins["both"]
    env = {
        "SANDBOX_CA_CERT": origin.ca_path,
        "PROBE_CHILD_PYTHON": bare_strict_venv.python,
        "PROBE_CHILD_CLIENT": "urllib_request",
    }
    assert run.probe(parent, client, origin.url, **env)[0] == "trusted"
    assert run.probe(parent, client, origins["unrelated-both"].url, **env)[0] == "rejected"
    as_written = run.probe(parent, client, origin.url, SANDBOX_TRUST_REPAIR_CA="0", **env)[0]
    assert as_written == ("rejected" if client == "child_python" else "trusted")


def test_uv_trusts_the_exported_bundle(run, make_venv, origins, tmp_path):
    """uv (rustls/webpki) with the SSL_CERT_FILE a start exports: the origin answers its index query
    with text/plain, which uv reports only once the handshake verified."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    parent = make_venv(*PACKAGES)
    outcomes = {}
    for name in ("both", "unrelated-both"):
        env = run.script(parent, "exported_vars", SANDBOX_CA_CERT=origins["both"].ca_path)[0]["env"]
        process = run.command(
            [uv, "pip", "install", "--python", parent.python, "--dry-run", "--no-cache"]
            + ["--index-url", origins[name].url + "simple/", "nothing-here"],
            SSL_CERT_FILE=env["SSL_CERT_FILE"],
        )
        verified = "Unsupported `Content-Type`" in process.stderr
        rejected = "invalid peer certificate" in process.stderr
        assert verified != rejected, process.stderr
        outcomes[name] = "trusted" if verified else "rejected"
    assert outcomes == {"both": "trusted", "unrelated-both": "rejected"}


def test_bundles_hold_the_normalised_anchor_in_place_of_the_original(run, make_venv, origins):
    parent = make_venv(*PACKAGES)
    origin = origins["both"]
    original = der(origin.ca)
    normalised = _anchor.anchor(original).der
    for repair, held, absent in (("1", normalised, original), ("0", original, normalised)):
        exported = run.script(
            parent, "exported_vars", SANDBOX_CA_CERT=origin.ca_path, SANDBOX_TRUST_REPAIR_CA=repair
        )[0]["env"]
        for name in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE"):
            with open(exported[name], "rb") as f:
                bundle = f.read()
            assert ssl.DER_cert_to_PEM_cert(held).encode() in bundle.replace(b"\r", b""), (repair, name)
            assert ssl.DER_cert_to_PEM_cert(absent).encode() not in bundle, (repair, name)


# --- status -----------------------------------------------------------------------------------


def status(run, venv, origin, **env):
    process = run.command(
        [os.path.join(venv.bin, "sandbox-trust"), "status", "--json"], SANDBOX_CA_CERT=origin.ca_path, **env
    )
    return json.loads(process.stdout), process


@pytest.mark.parametrize("name", flawed_cas.REPAIRABLE)
def test_status_reports_the_repair_as_information(run, venv, origins, name):
    origin = origins[name]
    report, process = status(run, venv, origin)
    assert process.returncode == 0 and report["problems"] == [] and report["warnings"] == [], report
    (certificate,) = report["certificates"]
    normalised = certificate["normalised"]
    repaired = {(issue["extension"], issue["problem"]) for issue in normalised["repaired"]}
    expected = {tuple(issue) for issue in _anchor.REPAIRABLE}
    if name == "bc-not-critical":
        expected = {_anchor.BASIC_CONSTRAINTS_NOT_CRITICAL}
    elif name == "no-key-usage":
        expected = {_anchor.KEY_USAGE_MISSING}
    assert repaired == expected
    assert normalised["sha256"] == hashlib.sha256(_anchor.anchor(der(origin.ca)).der).hexdigest()
    assert certificate["sha256"] == hashlib.sha256(der(origin.ca)).hexdigest()  # the file's, as written
    (sentence,) = report["information"]
    assert (
        all("%s %s" % defect in sentence for defect in expected) and "SANDBOX_TRUST_REPAIR_CA=0" in sentence
    )
    text = run.command([os.path.join(venv.bin, "sandbox-trust"), "status"], SANDBOX_CA_CERT=origin.ca_path)
    assert text.returncode == 0 and "normalised trust anchor" in text.stdout and "information:" in text.stdout

    as_written, process = status(run, venv, origin, SANDBOX_TRUST_REPAIR_CA="0")
    assert as_written["certificates"][0]["normalised"] is None and as_written["information"] == []
    (sentence,) = as_written["problems"] if as_written["strict_enforced"] else as_written["warnings"]
    assert "SANDBOX_TRUST_REPAIR_CA=0" in sentence
    assert process.returncode == (1 if as_written["strict_enforced"] else 0)


@pytest.mark.parametrize("name", ["no-basic-constraints", "no-ski"])
def test_status_names_why_a_ca_is_not_normalised(run, venv, origins, name):
    report, process = status(run, venv, origins[name])
    assert report["certificates"][0]["normalised"] is None and report["information"] == []
    (sentence,) = report["problems"] if report["strict_enforced"] else report["warnings"]
    assert "not normalised: " in sentence and "stays as written" in sentence
    assert process.returncode == (1 if report["strict_enforced"] else 0)


def test_a_bad_switch_value_is_named(run, venv, origins):
    report, process = status(run, venv, origins["both"], SANDBOX_TRUST_REPAIR_CA="yes")
    assert process.returncode == 1
    assert any("SANDBOX_TRUST_REPAIR_CA='yes'" in problem for problem in report["problems"])
    assert report["certificates"][0]["normalised"] is not None  # acts as unset: on


# --- OpenSSL's side of the argument, pinned ------------------------------------------------------


def handshake(origin, cadata, flags=0, clear=0):
    """``None`` when a context trusting only ``cadata`` verifies ``origin``, else OpenSSL's reason."""
    context = ssl.create_default_context(cadata=cadata)
    context.verify_flags = (context.verify_flags | flags) & ~clear
    try:
        with socket.create_connection(("127.0.0.1", origin.port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname="localhost"):
                return None
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message


def test_openssl_does_not_check_the_anchor_signature_and_would_fail_closed(origins):
    """The normalised anchor keeps the original, now invalid, signature: OpenSSL checks a trust
    anchor's self-signature only with X509_V_FLAG_CHECK_SS_SIGNATURE, which Python never sets. If an
    OpenSSL ever checked it (under strict or always), the normalised anchor would be rejected
    (fail closed, never more accepted): this test shows both, so such an OpenSSL shows up here."""
    assert not ssl.create_default_context().verify_flags & X509_V_FLAG_CHECK_SS_SIGNATURE
    assert not ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).verify_flags & X509_V_FLAG_CHECK_SS_SIGNATURE
    origin = origins["both"]
    original = der(origin.ca)
    normalised = _anchor.anchor(original).der
    assert normalised != original
    with pytest.raises(Exception):  # noqa: B017 - the signature no longer matches the body
        origin.ca.public_key().verify(
            x509.load_der_x509_certificate(normalised).signature,
            x509.load_der_x509_certificate(normalised).tbs_certificate_bytes,
            ec.ECDSA(x509.load_der_x509_certificate(normalised).signature_hash_algorithm),
        )
    strict_flags = VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    assert handshake(origin, original, strict_flags) is not None  # the defect, as stock 3.13 sees it
    assert handshake(origin, normalised, strict_flags) is None
    assert handshake(origin, normalised, clear=VERIFY_X509_STRICT) is None
    # Were the self-signature checked, the normalised anchor is refused; the original is not.
    checked = handshake(origin, normalised, strict_flags | X509_V_FLAG_CHECK_SS_SIGNATURE)
    assert checked == "certificate signature failure"
    assert handshake(origin, normalised, X509_V_FLAG_CHECK_SS_SIGNATURE, clear=VERIFY_X509_STRICT) == checked
    assert handshake(origin, original, X509_V_FLAG_CHECK_SS_SIGNATURE, clear=VERIFY_X509_STRICT) is None


# --- the re-encoding -----------------------------------------------------------------------------


def test_the_round_trip_of_an_unflawed_ca_is_byte_identical(intercept):
    with open(intercept.ca_path) as f:
        original = ssl.PEM_cert_to_DER_cert(f.read())
    assert _anchor._rebuild(original, lambda extensions: extensions) == original
    anchor = _anchor.anchor(original)
    assert anchor.der is original and anchor.repaired == () and anchor.refused is None


def test_an_encoding_it_cannot_reproduce_is_left_as_written():
    ca, _ = flawed_cas.mint_ca("long form", **flawed_cas.REPAIRABLE["both"])
    original = der(ca)
    assert original[1] == 0x82  # the outer length in two bytes; now the same length in three (BER)
    ber = b"\x30\x83\x00" + original[2:]
    anchor = _anchor.anchor(ber)
    assert anchor.der == ber and anchor.repaired == ()
    assert anchor.refused.startswith("not re-encoded exactly")


def test_a_ca_signed_by_another_key_is_left_as_written():
    """Its signature is checked wherever its issuer is trusted too: mending would break it there."""
    root = flawed_cas.mint_ca("root")
    intermediate, _ = flawed_cas.mint_ca("intermediate", issuer=root, **flawed_cas.REPAIRABLE["both"])
    anchor = _anchor.anchor(der(intermediate))
    assert anchor.repaired == () and anchor.der == der(intermediate) and "not self-signed" in anchor.refused
    key = ec.generate_private_key(ec.SECP256R1())
    other = x509.AuthorityKeyIdentifier.from_issuer_public_key(
        ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    self_issued, _ = flawed_cas.mint_ca(
        "rollover", key=key, extra=((other, False),), **flawed_cas.REPAIRABLE["both"]
    )
    anchor = _anchor.anchor(der(self_issued))
    assert anchor.repaired == () and "another key" in anchor.refused


def test_each_certificate_of_a_ca_file_is_judged_alone():
    """A file with a compliant CA, a mendable one and one that must stay as written: only the
    mendable one is replaced, in its place; the positions and the rest of the file's facts stay."""
    good, _ = flawed_cas.mint_ca("good")
    flawed, _ = flawed_cas.mint_ca("flawed", **flawed_cas.REPAIRABLE["both"])
    not_a_ca, _ = flawed_cas.mint_ca("not a CA", **flawed_cas.NOT_REPAIRABLE["ca-false"])
    found = _anchor._cafile.parse_pem(flawed_cas.pem(good, flawed, not_a_ca))
    loaded = _anchor.normalised(found)
    assert loaded is not found
    assert loaded.der == (der(good), _anchor.anchor(der(flawed)).der, der(not_a_ca))
    assert loaded.positions == found.positions == (1, 2, 3)
    assert _anchor.normalised(_anchor._cafile.parse_pem(flawed_cas.pem(good, not_a_ca))).der == (
        der(good),
        der(not_a_ca),
    )


def test_the_pre_check_costs_next_to_nothing(intercept):
    """A compliant CA is only searched for two byte strings (no import, no parse) at a first context."""
    import timeit

    with open(intercept.ca_path) as f:
        original = ssl.PEM_cert_to_DER_cert(f.read())
    assert _ca._may_need_repair(original) is False
    seconds = min(timeit.repeat(lambda: _ca._may_need_repair(original), number=1000, repeat=5)) / 1000
    assert seconds < 20e-6, seconds  # measured about 0.2 microseconds


# --- the property ---------------------------------------------------------------------------------


def extension_elements(certificate_der):
    """The whole Extension elements of a DER certificate, by OID (DER of the OID element), in order."""
    spans = _anchor._spans
    (outer,) = spans(certificate_der, 0, len(certificate_der))
    tbs = spans(certificate_der, outer[2], outer[3])[0]
    fields = spans(certificate_der, tbs[2], tbs[3])
    (wrapper,) = [field for field in fields if field[0] == 0xA3]
    (sequence,) = spans(certificate_der, wrapper[2], wrapper[3])
    found = []
    for item in spans(certificate_der, sequence[2], sequence[3]):
        whole = certificate_der[item[1] : item[3]]
        (inner,) = spans(whole, 0, len(whole))
        oid = spans(whole, inner[2], inner[3])[0]
        found.append((whole[oid[1] : oid[3]], whole))
    return found, certificate_der[tbs[2] : wrapper[1]], certificate_der[tbs[3] :]


BASIC_CONSTRAINTS_OID = bytes.fromhex("0603551d13")
KEY_USAGE_OID = bytes.fromhex("0603551d0f")
EXTRAS = {
    "extended_key_usage": (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False),
    "name_constraints": (x509.NameConstraints([x509.DNSName("example.com")], None), True),
    "policies": (
        x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.5.29.32.0"), None)]),
        False,
    ),
    "san": (x509.SubjectAlternativeName([x509.DNSName("ca.example")]), False),
    "unknown": (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), False),
}
KEY = ec.generate_private_key(ec.SECP256R1())  # one key: minting is what the examples vary, not keygen


@st.composite
def ca_shapes(draw):
    bc = draw(st.booleans())
    shape = {
        "bc": bc,
        "ca": draw(st.booleans()),
        "bc_critical": draw(st.booleans()),
        "path_length": draw(st.sampled_from([None, 0, 1, 7])),
        "key_usage": draw(
            st.one_of(
                st.none(), st.lists(st.sampled_from(flawed_cas.KEY_USAGE_FIELDS[:7]), unique=True).map(tuple)
            )
        ),
        "key_usage_critical": draw(st.booleans()),
        "ski": draw(st.booleans()),
    }
    if shape["key_usage"] == ():
        shape["key_usage"] = ("digital_signature",)
    extras = draw(st.lists(st.sampled_from(sorted(EXTRAS)), unique=True))
    shape["extra"] = tuple(EXTRAS[name] for name in extras)
    return shape


@PROPERTY
@given(ca_shapes())
def test_normalising_keeps_everything_but_the_two_defects_and_never_grants_a_power(shape):
    certificate, _ = flawed_cas.mint_ca("property", key=KEY, **shape)
    original = der(certificate)
    if len(certificate.extensions):  # exact round trip (without extensions there is nothing to mend)
        assert _anchor._rebuild(original, lambda extensions: extensions) == original
    anchor = _anchor.anchor(original)
    parsed = _x509.read_certificate(original)
    bc, ku = parsed.basic_constraints, parsed.key_usage
    if not anchor.repaired:
        assert anchor.der is original
        return
    # Repaired: only ever a CA:TRUE whose keyUsage, if any, already allowed keyCertSign.
    assert bc is not None and bc.ca and (ku is None or "keyCertSign" in ku.usages)
    assert _ca._may_need_repair(original)  # the cheap pre-check never hides a repairable CA
    assert _x509.ca_issues(_x509.read_certificate(anchor.der)) == []
    before, before_prefix, before_rest = extension_elements(original)
    after, after_prefix, after_rest = extension_elements(anchor.der)
    # Version, serial, signature algorithm, issuer, validity, subject, key: the same bytes; so are
    # the outer signature algorithm and the (now invalid) signature.
    assert after_prefix == before_prefix and after_rest == before_rest
    kept = lambda found: [whole for oid, whole in found if oid not in (BASIC_CONSTRAINTS_OID, KEY_USAGE_OID)]  # noqa: E731
    assert kept(after) == kept(before)
    mended = x509.load_der_x509_certificate(anchor.der)
    new_bc = mended.extensions.get_extension_for_class(x509.BasicConstraints)
    assert new_bc.critical and new_bc.value.ca and new_bc.value.path_length == bc.path_length
    new_ku = mended.extensions.get_extension_for_class(x509.KeyUsage)
    if ku is not None:  # never touched
        assert [w for o, w in after if o == KEY_USAGE_OID] == [w for o, w in before if o == KEY_USAGE_OID]
    else:  # absent allowed every use: the added one allows only signing certificates and CRLs
        assert new_ku.critical
        granted = {name for name in flawed_cas.KEY_USAGE_FIELDS[:7] if getattr(new_ku.value, name)}
        assert granted == {"key_cert_sign", "crl_sign"}
    assert {(i.extension, i.problem) for i in anchor.repaired} <= set(_anchor.REPAIRABLE)
