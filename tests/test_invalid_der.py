"""One bad certificate breaks nothing: a block OpenSSL cannot load is dropped, the CA is trusted.

The CA file holds the interceptor's CA and, before or after it, one well-framed block that is
no certificate OpenSSL accepts (each a different way to be wrong). The user's own base bundle
(SSL_CERT_FILE, REQUESTS_CA_BUNDLE, GIT_SSL_CAINFO: the "public" CA plus the system roots) stands for the public roots. urllib,
requests, curl and git must trust the interceptor's origin *and* the public one (a merged bundle
holding the bad block would fail every connection), and reject the unrelated origin. One stderr
line names the dropped block by its position.
"""

import base64
import ssl

import pytest

from tests import servers
from tests.hardening import assert_quiet, probe

TRUSTED = {"urllib": "trusted", "requests": "trusted", "curl": "trusted", "git": "trusted"}
REJECTED = {name: "rejected" for name in TRUSTED}


def _block(der):
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)


def _sequence(content):
    return (
        b"\x30"
        + (bytes([len(content)]) if len(content) < 128 else b"\x82" + len(content).to_bytes(2, "big"))
        + content
    )


def _der(origin):
    with open(origin.ca_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def _inner_tag_changed(origin):
    der = bytearray(_der(origin))
    header = 4 if der[1] == 0x82 else 3  # the outer SEQUENCE header; tbsCertificate follows
    der[header] = 0x31  # a SET where tbsCertificate's SEQUENCE must be
    return bytes(der)


def _private_key(origin):
    pem = origin.ca.private_key_pem.bytes().decode()
    return base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))


BAD_BLOCKS = {
    "garbage inside a SEQUENCE": lambda origin: _block(_sequence(bytes(range(7, 207)))),
    "tbsCertificate tag changed": lambda origin: _block(_inner_tag_changed(origin)),
    "a private key in a CERTIFICATE block": lambda origin: _block(_private_key(origin)),
    "not a SEQUENCE": lambda origin: _block(b"\x02\x01\x05"),
    "bad base64": lambda origin: "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n",
    "BEGIN without its END": lambda origin: "-----BEGIN CERTIFICATE-----\nMIIBxjCCAW2gAwIBAgIU\n",
}


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """An origin signed by a CA the user's base bundle trusts: stands for a public host."""
    with servers.Origin(tmp_path_factory.mktemp("public")) as origin:
        yield origin


@pytest.fixture(scope="module")
def base_bundle(public, tmp_path_factory):
    path = tmp_path_factory.mktemp("base") / "base.pem"
    with open("/etc/ssl/certs/ca-certificates.crt", "rb") as f:
        roots = f.read()
    with open(public.ca_path, "rb") as f:
        path.write_bytes(roots + f.read())
    return str(path)


def _user_bases(base_bundle):
    """The user's own bundle in each client's variable: the public CA reaches every client."""
    return {name: base_bundle for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO")}


# A BEGIN without its END *after* the CA is a truncated file: tests/test_ca_mutations.py has those.
PLACES = [
    (kind, place)
    for kind in BAD_BLOCKS
    for place in ("before", "after")
    if "END" not in kind or place == "before"
]


@pytest.mark.parametrize("kind, place", PLACES)
def test_bad_block_beside_the_ca(
    run, core_venv, intercept, unrelated, public, base_bundle, tmp_path, kind, place
):
    with open(intercept.ca_path) as f:
        ca = f.read()
    bad = BAD_BLOCKS[kind](intercept)
    ca_path = tmp_path / "ca.pem"
    ca_path.write_text(bad + ca if place == "before" else ca + bad)
    position = 1 if place == "before" else 2
    env = dict(SANDBOX_CA_CERT=str(ca_path), PROBE_GIT="1", **_user_bases(base_bundle))
    for start in ("cold", "warm"):
        report, process = probe(run, core_venv, "report", intercept.url, public.url, unrelated.url, **env)
        assert report[intercept.url] == TRUSTED, (start, report)
        assert report[public.url] == TRUSTED, (start, report)
        assert report[unrelated.url] == REJECTED, (start, report)
        assert_quiet(process, lines=1, contains="certificate #%d" % position)
    for name, path in report["environ"].items():
        if path and name != "NODE_EXTRA_CA_CERTS":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cafile=path)  # the whole bundle loads: no bad block in it
    # The twin: opted out, the same files trust nothing of the CA's.
    report, _ = probe(run, core_venv, "report", intercept.url, public.url, SANDBOX_TRUST_DISABLE="1", **env)
    assert report[intercept.url] == REJECTED, report
    assert report[public.url] == TRUSTED, report


def test_only_bad_blocks_is_no_ca(run, core_venv, intercept, public, base_bundle, tmp_path):
    """Nothing OpenSSL accepts: no CA, nothing exported, one line; the public roots are untouched."""
    ca_path = tmp_path / "ca.pem"
    ca_path.write_text(
        BAD_BLOCKS["garbage inside a SEQUENCE"](intercept) + BAD_BLOCKS["not a SEQUENCE"](intercept)
    )
    env = dict(SANDBOX_CA_CERT=str(ca_path), PROBE_GIT="1", **_user_bases(base_bundle))
    report, process = probe(run, core_venv, "report", intercept.url, public.url, **env)
    assert report[intercept.url] == REJECTED, report
    assert report[public.url] == TRUSTED, report
    assert report["environ"]["SSL_CERT_FILE"] == base_bundle, report
    assert_quiet(process, lines=1, contains="OpenSSL")
