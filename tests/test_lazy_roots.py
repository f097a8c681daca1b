"""Lazy roots: default roots come from a hashed directory, with the same trust as the bundle.

Every client of the trust matrix keeps its three outcomes with ``SANDBOX_TRUST_LAZY_ROOTS=0`` too
(lazy is the default, which tests/test_clients.py and test_more_clients.py cover). Roots that are
in the base only (a user's SSL_CERT_FILE, extended into a merged bundle) prove the directory is
what verifies: the same chain fails once their file is taken out of the directory.
"""

import datetime
import json
import os
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import servers
from tests.conftest import CORE_PROBES, MORE_PROBES, ROOT, scrubbed_env

PROBES = os.path.join(ROOT, "tests", "lazy_roots_probes.py")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
EAGER = {"SANDBOX_TRUST_LAZY_ROOTS": "0"}


# --- certificates and origins ------------------------------------------------------------------


def _name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sandbox-trust tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class Minted:
    """A certificate and its key; ``pem`` of the certificate."""

    def __init__(self, certificate, key):
        self.certificate, self.key = certificate, key
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)


def mint(subject, issuer=None, ca=True, hostname=None, key_usage=True):
    """A CA (self-signed unless ``issuer``) or, with ``hostname``, a leaf for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.certificate.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
        )
    )
    if hostname:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if ca and key_usage and not hostname:
        usage = dict.fromkeys(
            (
                "digital_signature content_commitment key_encipherment data_encipherment key_agreement "
                "encipher_only decipher_only"
            ).split(),
            False,
        )
        builder = builder.add_extension(
            x509.KeyUsage(key_cert_sign=True, crl_sign=True, **usage), critical=True
        )
    return Minted(builder.sign(signer_key, hashes.SHA256()), key)


class Origin(servers.ServedOrigin):
    """A local TLS origin serving ``leaf`` with ``chain`` (intermediates) after it."""

    def __init__(self, directory, leaf, chain=()):
        os.makedirs(directory, exist_ok=True)
        certfile, keyfile = os.path.join(directory, "chain.pem"), os.path.join(directory, "key.pem")
        with open(certfile, "wb") as f:
            f.write(leaf.pem + b"".join(c.pem for c in chain))
        with open(keyfile, "wb") as f:
            f.write(
                leaf.key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self._serve(context)


# --- helpers ---------------------------------------------------------------------------------------


def probe(run, venv, *args, **env):
    process = run(venv, [PROBES, *args], **env)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    assert process.returncode == 0 and lines, process.stdout + process.stderr
    return json.loads(lines[-1]), process


def subject_hash(pem):
    command = ["openssl", "x509", "-noout", "-subject_hash"]
    return subprocess.run(command, input=pem, capture_output=True, check=True).stdout.decode().strip()


def pem_blocks(data):
    end = b"-----END CERTIFICATE-----\n"
    return [block[block.index(b"-----BEGIN") :] + end for block in data.split(end) if b"-----BEGIN" in block]


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    return str(path)


def user_bundle(tmp_path, *roots, system=True):
    """A user's own SSL_CERT_FILE: the system roots (unless not ``system``) plus ``roots``."""
    path = tmp_path / "user-bundle.pem"
    with open(SYSTEM_BUNDLE, "rb") as f:
        data = f.read() if system else b""
    path.write_bytes(data + b"".join(root.pem for root in roots))
    return str(path)


# --- every client, eagerly -------------------------------------------------------------------------


@pytest.mark.parametrize("client", CORE_PROBES)
def test_eager_trusts_the_injected_ca(run, core_venv, intercept, client):
    outcome, process = run.probe(core_venv, client, intercept.url, SANDBOX_CA_CERT=intercept.ca_path, **EAGER)
    assert outcome == "trusted", process.stdout + process.stderr
    assert process.stderr == ""


@pytest.mark.parametrize("client", CORE_PROBES)
def test_eager_opted_out_rejects(run, core_venv, intercept, client):
    outcome, process = run.probe(
        core_venv,
        client,
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DISABLE="1",
        **EAGER,
    )
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("client", CORE_PROBES)
def test_eager_rejects_an_unrelated_ca(run, core_venv, intercept, unrelated, client):
    outcome, process = run.probe(core_venv, client, unrelated.url, SANDBOX_CA_CERT=intercept.ca_path, **EAGER)
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("client", MORE_PROBES)
def test_eager_more_clients(run, more_venv, intercept, url_of, client):  # noqa: F811 - fixture
    """The three outcomes for the clients beyond the core, eagerly."""
    ca = {"SANDBOX_CA_CERT": intercept.ca_path, **EAGER}
    trusted, process = run.probe(more_venv, client, url_of(client, "intercept"), **ca)
    assert trusted == "trusted", process.stdout + process.stderr
    opted_out, process = run.probe(
        more_venv, client, url_of(client, "intercept"), SANDBOX_TRUST_DISABLE="1", **ca
    )
    assert opted_out == "rejected", process.stdout + process.stderr
    unrelated, process = run.probe(more_venv, client, url_of(client, "unrelated"), **ca)
    assert unrelated == "rejected", process.stdout + process.stderr


# --- what lazy loading changes, and what it does not ---------------------------------------------


@pytest.mark.parametrize("export", ("1", "0"))
def test_lazy_contexts_hold_the_ca_and_not_the_bundle(run, core_venv, intercept, unrelated, cache, export):
    """Default roots come from a directory: the store holds the CA only, never 0 CAs (trap 8)."""
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SANDBOX_TRUST_EXPORT_ENV": export,
    }
    for url, expected in ((intercept.url, "trusted"), (unrelated.url, "rejected")):
        report, process = probe(run, core_venv, "stats", url, **env)
        assert process.stderr == ""
        for name, context in report["contexts"].items():
            assert context["outcome"] == expected, (name, context)
            assert context["before"]["x509_ca"] >= 1, (name, context)
            assert context["before"]["x509"] < 10, (name, context)  # not the ~145 of the bundle
        for base, capath in report["directories"].items():
            assert os.path.dirname(capath) == cache and os.path.isdir(capath), (base, capath)
        assert report["directories"], report


def test_eager_contexts_hold_the_bundle(run, core_venv, intercept, cache):
    report, _ = probe(
        run,
        core_venv,
        "stats",
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_CACHE_DIR=cache,
        **EAGER,
    )
    for name, context in report["contexts"].items():
        assert context["outcome"] == "trusted", (name, context)
        assert context["before"]["x509_ca"] > 100, (name, context)
    assert report["directories"] == {}
    assert not [name for name in os.listdir(cache) if name.startswith("roots-")]


def test_no_usable_cache_loads_eagerly(run, core_venv, intercept, unrelated, tmp_path):
    hostile = tmp_path / "hostile"
    hostile.mkdir(mode=0o777)
    os.chmod(hostile, 0o777)  # world-writable: refused
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SANDBOX_TRUST_CACHE_DIR": str(hostile)}
    for url, expected in ((intercept.url, "trusted"), (unrelated.url, "rejected")):
        report, _ = probe(run, core_venv, "stats", url, **env)
        for name, context in report["contexts"].items():
            assert context["outcome"] == expected, (name, context)
            assert context["before"]["x509_ca"] > 100, (name, context)
    assert os.listdir(hostile) == []


def test_a_cache_path_openssl_would_split_loads_eagerly(run, core_venv, intercept, unrelated, tmp_path):
    """OpenSSL reads a capath with ":" as a list of directories: none of them would be ours."""
    cache = tmp_path / "a:b"
    cache.mkdir(mode=0o700)
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SANDBOX_TRUST_CACHE_DIR": str(cache)}
    for url, expected in ((intercept.url, "trusted"), (unrelated.url, "rejected")):
        report, process = probe(run, core_venv, "stats", url, **env)
        assert process.stderr == ""
        for name, context in report["contexts"].items():
            assert context["outcome"] == expected, (name, context)
            assert context["before"]["x509_ca"] > 100, (name, context)
        assert report["directories"] == {}


def test_built_at_the_first_client_context_never_at_start(run, core_venv, intercept, cache):
    report, process = probe(
        run, core_venv, "when_built", cache, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=cache
    )
    assert process.stderr == ""
    assert [name for name in report["before"] if name.startswith("bundle-")], report  # a cold start
    assert not [name for name in report["before"] if name.startswith("roots-")], report
    assert "sandbox_trust._hashed_dirs" not in report["modules"], report
    assert [name for name in report["after"] if name.startswith("roots-")], report


@pytest.mark.parametrize("base", ("system", "pip_vendored_certifi"))
def test_every_certificate_of_the_base_has_the_name_openssl_looks_up(run, core_venv, intercept, cache, base):
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SANDBOX_TRUST_EXPORT_ENV": "0",
    }
    report, _ = probe(run, core_venv, "stats", intercept.url, **env)
    directories = report["directories"]
    if base == "system":
        (path,) = [p for p in directories if os.path.realpath(p) == SYSTEM_BUNDLE]
    else:
        (path,) = [p for p in directories if "pip/_vendor/certifi" in p]
    capath = directories[path]
    with open(path, "rb") as f:
        certificates = pem_blocks(f.read())
    assert len(certificates) > 100
    names = set(os.listdir(capath))
    for pem in certificates:
        digest = subject_hash(pem)
        stored = []
        number = 0
        while "%s.%d" % (digest, number) in names:  # the names OpenSSL tries, in its order
            with open(os.path.join(capath, "%s.%d" % (digest, number)), "rb") as f:
                stored.append(f.read())
            number += 1
        assert pem in stored, digest
    assert len(names) == len(set(certificates))  # and nothing else


def test_a_root_only_in_the_base_verifies_through_the_directory(
    run, core_venv, intercept, unrelated, cache, tmp_path
):
    """A user's SSL_CERT_FILE root reaches a lazy context only through the merged bundle's directory."""
    root = mint("user root")
    leaf = mint("leaf", issuer=root, hostname="localhost")
    bundle = user_bundle(tmp_path, root)
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SANDBOX_TRUST_CACHE_DIR": cache, "SSL_CERT_FILE": bundle}
    with Origin(str(tmp_path / "origin"), leaf) as origin:
        report, process = probe(run, core_venv, "handshake", origin.url, **env)
        assert report["outcome"] == "trusted", report
        assert report["before"]["x509"] < 10, report  # not loaded eagerly
        (capath,) = report["directories"].values()
        only, _ = probe(
            run, core_venv, "directory_only", capath, origin.url, intercept.url, unrelated.url, **env
        )
        # The directory holds the base's roots and never the CA (loaded eagerly on its own), so a
        # server context handed it as capath cannot gain the CA.
        assert only["outcomes"] == ["trusted", "rejected", "rejected"]
        # Twin: the same chain once the root's file is taken out of the directory.
        digest = subject_hash(root.pem)
        os.rename(os.path.join(capath, digest + ".0"), os.path.join(str(tmp_path), "moved"))
        report, _ = probe(run, core_venv, "handshake", origin.url, **env)
        assert report["outcome"] == "rejected", report
        opted_out, _ = probe(run, core_venv, "handshake", intercept.url, SANDBOX_TRUST_DISABLE="1", **env)
        assert opted_out["outcome"] == "rejected", opted_out


@pytest.mark.parametrize("lazy", ("1", "0"))
def test_chains_as_with_eager_loading(run, core_venv, intercept, cache, tmp_path, lazy):
    """An intermediate; two roots of one subject (renewed); a base root of the CA's own subject."""
    old = mint("renewed root")
    new = mint("renewed root")  # same subject, other key
    stranger = mint("renewed root")  # same subject again, in no base
    intermediate = mint("intermediate", issuer=old)
    # The injected CA shares its subject with a root of the user's base (an older CA, still trusted).
    injected_old = mint("interception CA")
    injected = mint("interception CA")
    ca_path = tmp_path / "injected.pem"
    ca_path.write_bytes(injected.pem)
    bundle = user_bundle(tmp_path, old, new, injected_old)
    env = {
        "SANDBOX_CA_CERT": str(ca_path),
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SSL_CERT_FILE": bundle,
        "SANDBOX_TRUST_LAZY_ROOTS": lazy,
    }
    cases = (
        (
            "through an intermediate",
            mint("leaf", issuer=intermediate, hostname="localhost"),
            (intermediate,),
            "trusted",
        ),
        ("renewed root, old key", mint("leaf", issuer=old, hostname="localhost"), (), "trusted"),
        ("renewed root, new key", mint("leaf", issuer=new, hostname="localhost"), (), "trusted"),
        ("same subject, unknown key", mint("leaf", issuer=stranger, hostname="localhost"), (), "rejected"),
        ("injected CA", mint("leaf", issuer=injected, hostname="localhost"), (), "trusted"),
        (
            "base root of the CA's subject",
            mint("leaf", issuer=injected_old, hostname="localhost"),
            (),
            "trusted",
        ),
    )
    for number, (case, leaf, chain, expected) in enumerate(cases):
        with Origin(str(tmp_path / ("origin-%d" % number)), leaf, chain) as origin:
            report, _ = probe(run, core_venv, "handshake", origin.url, **env)
            assert report["outcome"] == expected, (case, report)
            assert bool(report["directories"]) == (lazy == "1"), report
            opted_out, _ = probe(run, core_venv, "handshake", origin.url, SANDBOX_TRUST_DISABLE="1", **env)
            # Opted out, the user's own bundle still decides (OpenSSL reads it): same answer but for the CA.
            assert opted_out["outcome"] == ("rejected" if case == "injected CA" else expected), (
                case,
                opted_out,
            )


@pytest.mark.parametrize("order", ("file,default,file,default", "default,file"))
@pytest.mark.parametrize("lazy", ("1", "0"))
def test_two_bases_in_one_context_as_with_eager_loading(
    run, core_venv, intercept, cache, tmp_path, order, lazy
):
    """truststore loads certifi, then the default paths, into one context: a subject in both bases
    with different certificates (a renewed root) must reach both, whichever directory answers first."""
    old, new = mint("renewed root"), mint("renewed root")
    certifi = tmp_path / "vendored" / "certifi" / "cacert.pem"  # any certifi copy counts as default roots
    certifi.parent.mkdir(parents=True)
    certifi.write_bytes(open(SYSTEM_BUNDLE, "rb").read() + old.pem)
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SSL_CERT_FILE": user_bundle(tmp_path, new),
        "SANDBOX_TRUST_LAZY_ROOTS": lazy,
    }
    for number, root in enumerate((old, new)):
        leaf = mint("leaf", issuer=root, hostname="localhost")
        with Origin(str(tmp_path / ("origin-%d" % number)), leaf) as origin:
            report, _ = probe(run, core_venv, "two_bases", str(certifi), order, origin.url, **env)
            assert report["outcome"] == "trusted", (number, report)
            lazily = lazy == "1" and order.startswith("file")  # a foreign directory first: eagerly
            assert (report["before"]["x509"] < 20) == lazily, report
    report, _ = probe(
        run, core_venv, "two_bases", str(certifi), order, intercept.url, SANDBOX_TRUST_DISABLE="1", **env
    )
    assert report["outcome"] == "rejected", report


@pytest.mark.parametrize("lazy", ("1", "0"))
def test_an_apps_own_root_of_a_default_roots_subject(run, core_venv, intercept, cache, tmp_path, lazy):
    """An app adds its own root (cadata) after the default roots; a base root has the same subject."""
    old, new = mint("renewed root"), mint("renewed root")
    own = tmp_path / "own.pem"
    own.write_bytes(new.pem)
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SSL_CERT_FILE": user_bundle(tmp_path, old),
        "SANDBOX_TRUST_LAZY_ROOTS": lazy,
    }
    for number, root in enumerate((old, new)):
        leaf = mint("leaf", issuer=root, hostname="localhost")
        with Origin(str(tmp_path / ("origin-%d" % number)), leaf) as origin:
            report, _ = probe(run, core_venv, "two_bases", str(own), "default,cadata", origin.url, **env)
            assert report["outcome"] == "trusted", (number, report)
    unrelated = mint("renewed root")
    with Origin(
        str(tmp_path / "origin-unrelated"), mint("leaf", issuer=unrelated, hostname="localhost")
    ) as origin:
        report, _ = probe(run, core_venv, "two_bases", str(own), "default,cadata", origin.url, **env)
        assert report["outcome"] == "rejected", report


def test_python_313_strict_and_partial_chain_flags_as_eagerly(run, make_venv, intercept, cache, tmp_path):
    python = "/root/.pyenv/versions/3.13.0/bin/python3"
    if not os.path.exists(python):
        pytest.skip("needs CPython 3.13")
    venv = make_venv(python=python)
    root = mint("partial root")
    intermediate = mint("partial intermediate", issuer=root)
    sloppy = mint("sloppy root", key_usage=False)  # VERIFY_X509_STRICT refuses a CA without keyUsage
    bundle = user_bundle(tmp_path, intermediate, sloppy)  # the intermediate without its root
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SANDBOX_TRUST_CACHE_DIR": cache, "SSL_CERT_FILE": bundle}
    cases = (
        ("partial chain", mint("leaf", issuer=intermediate, hostname="localhost"), "trusted"),
        ("strict", mint("leaf", issuer=sloppy, hostname="localhost"), "rejected"),
    )
    for number, (case, leaf, expected) in enumerate(cases):
        with Origin(str(tmp_path / ("origin-%d" % number)), leaf) as origin:
            lazy, _ = probe(run, venv, "handshake", origin.url, **env)
            eager, _ = probe(run, venv, "handshake", origin.url, **env, **EAGER)
            assert lazy["strict"] and lazy["partial_chain"], lazy
            assert lazy["directories"] and not eager["directories"]
            assert lazy["outcome"] == eager["outcome"] == expected, (case, lazy, eager)


def test_cold_start_stampede_builds_one_complete_directory(core_venv, intercept, unrelated, cache, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = scrubbed_env(str(home), SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=cache)
    children = [
        subprocess.Popen(
            [core_venv.python, PROBES, "handshake", url],
            env=env,
            cwd=str(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for url in (intercept.url, unrelated.url) * 6
    ]
    reports = []
    for child in children:
        stdout, stderr = child.communicate(timeout=300)
        assert child.returncode == 0 and stderr == "", stdout + stderr
        reports.append(json.loads(stdout.splitlines()[-1]))
    assert [r["outcome"] for r in reports] == ["trusted", "rejected"] * 6, reports
    names = os.listdir(cache)
    assert not [n for n in names if n.startswith(".tmp-")], names
    directories = {capath for r in reports for capath in r["directories"].values()}
    assert len(directories) == 1, directories
    (capath,) = directories
    with open(SYSTEM_BUNDLE, "rb") as f:
        expected = len(set(pem_blocks(f.read())))  # the system roots; the CA is loaded eagerly
    assert len(os.listdir(capath)) == expected


@pytest.mark.parametrize(
    "extra",
    (
        b"",
        b"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
        b"-----BEGIN TRUSTED CERTIFICATE-----\nMAA=\n-----END TRUSTED CERTIFICATE-----\n",
    ),
    ids=("certificates", "a CRL", "trust settings"),
)
def test_a_base_with_anything_but_certificates_is_loaded_eagerly(
    run, core_venv, intercept, cache, tmp_path, extra
):
    """OpenSSL's file loader takes CRLs and trust settings too, which a directory of certificates would drop."""
    certifi = tmp_path / "certifi" / "cacert.pem"
    certifi.parent.mkdir()
    with open(SYSTEM_BUNDLE, "rb") as f:
        certifi.write_bytes(f.read() + extra)
    report, process = probe(
        run,
        core_venv,
        "roots_of",
        str(certifi),
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_CACHE_DIR=cache,
    )
    assert process.stderr == ""
    roots = [name for name in os.listdir(cache) if name.startswith("roots-") and "index" not in name]
    assert len(roots) == 1, roots
    marker = os.path.join(cache, roots[0])
    if extra:
        assert report["capath"] is None and os.path.isfile(marker), (report, roots)
    else:
        assert report["capath"] == marker and os.path.isdir(marker), (report, roots)


# --- item 4: a user's SSL_CERT_DIR in curl's bundle -------------------------------------------


@pytest.mark.parametrize("named", ("correctly", "misnamed", "numbered from 1"))
def test_curl_takes_only_what_openssl_finds_in_ssl_cert_dir(
    run, core_venv, intercept, cache, tmp_path, named
):
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    root = mint("directory root")
    leaf = mint("leaf", issuer=root, hostname="localhost")
    directory = tmp_path / "certs"
    directory.mkdir()
    digest = subject_hash(root.pem)
    name = {"correctly": digest + ".0", "misnamed": "0123abcd.0", "numbered from 1": digest + ".1"}[named]
    (directory / name).write_bytes(root.pem)
    expected = "trusted" if named == "correctly" else "rejected"
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": cache,
        "SSL_CERT_DIR": str(directory),
    }
    with Origin(str(tmp_path / "origin"), leaf) as origin:
        outcome, process = run.probe(core_venv, "child_curl", origin.url, **env)
        assert outcome == expected, process.stdout + process.stderr
        # What curl itself does with that directory, without sandbox-trust: the same.
        outcome, process = run.probe(core_venv, "child_curl", origin.url, SANDBOX_TRUST_DISABLE="1", **env)
        assert outcome == expected, process.stdout + process.stderr
        outcome, process = run.probe(core_venv, "child_curl", intercept.url, **env)
        assert outcome == "trusted", process.stdout + process.stderr
