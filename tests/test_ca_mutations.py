"""Property: a mutated CA file never crashes or hangs, says at most one line, and breaks nothing valid.

A valid CA file holds two CAs (the interceptor's and a second one, each with an origin it
signed). Mutations: truncation anywhere, bits flipped inside a certificate's DER, extra blocks
(broken certificates, keys, other PEM types, lone BEGIN lines, non-ASCII comments), mixed line
endings. Whatever survives intact must still be trusted (a real handshake with its origin), the
public roots must all still load beside it, and the process says at most one line.

In-process with the modules of ``src`` (on ``sys.path`` first: the test interpreter has no
installed copy), then a few examples through the built wheel's real clients in a venv.
"""

import base64
import contextlib
import io
import os
import socket
import ssl
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import servers
from tests.hardening import assert_quiet, probe

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
sys.path.insert(0, SRC)
from sandbox_trust import _ca, _cafile  # noqa: E402 - from src, as the comment above says

# Imported by _ca, after the package: a first import by its own name would start sandbox-trust here.
boot = sys.modules["_sandbox_trust_boot"]

sys.path.remove(SRC)
assert _cafile.__file__.startswith(SRC), _cafile.__file__

ROOTS = "/etc/ssl/certs/ca-certificates.crt"
EXAMPLES = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    with servers.Origin(tmp_path_factory.mktemp("second")) as origin:
        yield origin


@pytest.fixture(scope="module")
def roots():
    with open(ROOTS) as f:
        text = f.read()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=text)
    return text, context.cert_store_stats()["x509_ca"]


def _der(origin):
    with open(origin.ca_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def _block(der, newline="\n", width=64):
    body = base64.b64encode(der).decode()
    lines = ["-----BEGIN CERTIFICATE-----"] + [body[i : i + width] for i in range(0, len(body), width)]
    return newline.join(lines + ["-----END CERTIFICATE-----"]) + newline


EXTRA = st.sampled_from(
    [
        "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",  # DER, but no certificate
        "-----BEGIN CERTIFICATE-----\nMIIB!!\n-----END CERTIFICATE-----\n",  # not base64
        "-----BEGIN CERTIFICATE-----\n",  # a BEGIN line alone
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
        "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
        "# Zertifikat für öffentliche Wurzel ✓\n",
        "subject=CN = x\n\n",
        "\x00\xff garbage\n",
    ]
)


@st.composite
def mutated_file(draw, ders):
    """``(file bytes, indexes of the CAs that stayed intact)``."""
    segments = []  # (text, index of the CA it holds intact, or None)
    for index, der in enumerate(ders):
        for _ in range(draw(st.integers(0, 2))):
            segments.append((draw(EXTRA), None))
        newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        width = draw(st.sampled_from([64, 76, 1000]))
        if draw(st.integers(0, 3)) == 0:  # bits flipped inside the DER
            flipped = bytearray(der)
            for _ in range(draw(st.integers(1, 3))):
                flipped[draw(st.integers(0, len(der) - 1))] ^= 1 << draw(st.integers(0, 7))
            segments.append((_block(bytes(flipped), newline, width), None))
        else:
            segments.append((_block(der, newline, width), index))
    for _ in range(draw(st.integers(0, 2))):
        segments.append((draw(EXTRA), None))
    intact = [index for _, index in segments if index is not None]
    data = "".join(text for text, _ in segments).encode("utf-8")
    if draw(st.booleans()):  # truncated somewhere: what ends before the cut stays intact
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
        intact, end = [], 0
        for text, index in segments:
            end += len(text.encode("utf-8"))
            if index is not None and end <= cut:
                intact.append(index)
    return data, intact


def _handshake(context, origin):
    with socket.create_connection(("127.0.0.1", origin.port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname="localhost"):
            pass


@pytest.fixture(scope="module")
def ders(intercept, second):
    return [_der(intercept), _der(second)]


def test_mutated_ca_files(intercept, second, ders, roots, tmp_path_factory):
    origins = [intercept, second]
    path = str(tmp_path_factory.mktemp("mutations") / "ca.pem")
    roots_text, roots_count = roots

    @EXAMPLES
    @given(mutated_file(ders))
    def check(case):
        data, intact = case
        with open(path, "wb") as f:
            f.write(data)
        boot.settings.ca_path, boot.settings.export, boot.settings.declared = path, False, False
        _ca._certificates, _ca._refused, boot._warned = None, False, False
        stderr = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stderr(stderr):
            found = _ca.checked_certificates()  # what enters a bundle or a context
        assert time.monotonic() - started < 5, "a hang"
        assert len(stderr.getvalue().splitlines()) <= 1, stderr.getvalue()
        assert all(line.startswith("sandbox-trust: ") for line in stderr.getvalue().splitlines())
        held = list(found.der) if found is not None else []
        for index in intact:  # every valid certificate is still trusted...
            assert ders[index] in held, (index, stderr.getvalue())
        # ...and loads beside the public roots, all of which still load too.
        merged = roots_text + "".join(_cafile.der_to_pem(der) for der in held)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=merged)
        assert context.cert_store_stats()["x509_ca"] >= roots_count + len(intact)
        for index in intact:
            _handshake(context, origins[index])

    check()


# A few of the same through the built wheel: urllib, requests and curl in a real venv.
def _examples(intercept_der, second_der):
    flipped = bytearray(second_der)
    flipped[len(flipped) // 2] ^= 0x10
    return {
        "second truncated": (_block(intercept_der) + _block(second_der)[:300]).encode(),
        "second's DER flipped": (_block(intercept_der) + _block(bytes(flipped))).encode(),
        "extra blocks, CRLF": (
            "# Zertifikat für öffentliche Wurzel\r\n-----BEGIN CERTIFICATE-----\r\nMAMCAQE=\r\n"
            "-----END CERTIFICATE-----\r\n" + _block(intercept_der, "\r\n") + "-----BEGIN CERTIFICATE-----\n"
            "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n" + _block(second_der, "\r")
        ).encode("utf-8"),
    }


@pytest.mark.parametrize("example", ["second truncated", "second's DER flipped", "extra blocks, CRLF"])
def test_mutated_ca_file_in_a_venv(run, core_venv, intercept, second, unrelated, ders, tmp_path, example):
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(_examples(*ders)[example])
    for start in ("cold", "warm"):
        report, process = probe(
            run, core_venv, "report", intercept.url, unrelated.url, SANDBOX_CA_CERT=str(ca_path)
        )
        assert report[intercept.url] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, (
            start,
            report,
        )
        assert report[unrelated.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, (
            start,
            report,
        )
        assert_quiet(process, lines=1)
