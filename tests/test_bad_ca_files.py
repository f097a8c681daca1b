"""A CA file that is wrong, hostile or odd never hangs, crashes or prints; at most one stderr line."""

import json
import os
import random
import ssl

import pytest

TIMEOUT = 20  # generous: a hang (a FIFO, a device) must fail the test, not stall the run
EXPORTED = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE")


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


def _pem(origin):
    with open(origin.ca_path, "rb") as f:
        return f.read()


def _huge(path, origin):
    _write(path, _pem(origin))
    with open(path, "r+b") as f:
        f.truncate(50 << 20)  # sparse: 50 MB to read, nothing to store
    return str(path)


def _fifo(path, origin):
    os.mkfifo(path)
    return str(path)


def _directory(path, origin):
    os.mkdir(path)
    return str(path)


BAD_FILES = {
    "empty": lambda path, origin: _write(path, b""),
    "garbage-text": lambda path, origin: _write(path, b"this is not a certificate\n" * 20),
    "truncated-pem": lambda path, origin: _write(path, _pem(origin)[: len(_pem(origin)) // 2]),
    "corrupt-body": lambda path, origin: _write(path, _pem(origin).replace(b"\n", b"\n!", 3)),
    "random-binary": lambda path, origin: _write(path, random.Random(7).randbytes(4096)),
    "der-certificate": lambda path, origin: _write(path, ssl.PEM_cert_to_DER_cert(_pem(origin).decode())),
    "private-key-alone": lambda path, origin: _write(path, origin.ca.private_key_pem.bytes()),
    "directory": _directory,
    "fifo": _fifo,
    "dev-zero": lambda path, origin: "/dev/zero",
    "dev-urandom": lambda path, origin: "/dev/urandom",
    "huge": _huge,
}


def _assert_quiet(process, stdout_lines):
    assert process.returncode == 0, process.stderr
    assert len(process.stdout.splitlines()) == stdout_lines, process.stdout
    assert "Traceback" not in process.stderr
    assert len(process.stderr.splitlines()) <= 1, process.stderr
    assert all(line.startswith("sandbox-trust: ") for line in process.stderr.splitlines()), process.stderr


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_ca_file_start(run, core_venv, intercept, tmp_path, kind):
    ca_path = BAD_FILES[kind](tmp_path / "ca.pem", intercept)
    for _start in ("cold", "warm"):
        process = run(core_venv, ("-c", "pass"), timeout=TIMEOUT, SANDBOX_CA_CERT=ca_path)
        _assert_quiet(process, stdout_lines=0)


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_ca_file_client_rejects(run, core_venv, intercept, tmp_path, kind):
    ca_path = BAD_FILES[kind](tmp_path / "ca.pem", intercept)
    # Declared: an empty or truncated file may still be landing, so it is waited for (bounded), then rejected.
    for env in ({}, {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_TRUST_TIMEOUT": "1"}):
        outcome, process = run.probe(
            core_venv, "urllib_request", intercept.url, timeout=TIMEOUT, SANDBOX_CA_CERT=ca_path, **env
        )
        assert outcome == "rejected", process.stdout + process.stderr
        _assert_quiet(process, stdout_lines=1)


@pytest.fixture
def key_and_certificate(intercept, tmp_path):
    key = intercept.ca.private_key_pem.bytes()
    return _write(tmp_path / "ca.pem", key + _pem(intercept)), key


def _key_fragments(key):
    lines = key.decode().splitlines()
    return ["PRIVATE KEY"] + [line for line in lines if not line.startswith("-----")]


def test_key_next_to_certificate_is_trusted(run, core_venv, intercept, key_and_certificate):
    ca_path, _ = key_and_certificate
    outcome, process = run.probe(
        core_venv, "urllib_request", intercept.url, timeout=TIMEOUT, SANDBOX_CA_CERT=ca_path
    )
    assert outcome == "trusted", process.stdout + process.stderr
    _assert_quiet(process, stdout_lines=1)


def test_key_next_to_certificate_is_never_copied(run, core_venv, intercept, key_and_certificate, tmp_path):
    ca_path, key = key_and_certificate
    cache = tmp_path / "cache"
    show = "import json, os; print(json.dumps({name: os.environ.get(name) for name in %r}))" % (EXPORTED,)
    process = run(
        core_venv, ("-c", show), timeout=TIMEOUT, SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_CACHE_DIR=str(cache)
    )
    _assert_quiet(process, stdout_lines=1)
    exported = json.loads(process.stdout)
    assert all(exported.values()), exported  # the certificate alone was enough to export
    files = [os.path.join(d, name) for d, _, names in os.walk(cache) for name in names]
    files += [os.path.join(d, name) for d, _, names in os.walk(run.home) for name in names]
    files += list(exported.values())
    assert any(path.startswith(str(cache)) for path in files)
    ca_body = _pem(intercept).decode().splitlines()[1]
    for path in set(files):
        with open(path) as f:
            text = f.read()
        for fragment in _key_fragments(key):
            assert fragment not in text, path
    for name, path in exported.items():
        with open(path) as f:
            assert ca_body in f.read(), name
