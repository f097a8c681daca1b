"""Never hang, never block at start: bases that are FIFOs, devices or directories; timeouts out of bounds.

A user's variable may name anything. Every file sandbox-trust did not create is opened without
blocking and read only when it is a regular file, so ``python -c pass`` (the cold path builds
bundles from these bases) returns at once, twice (cold, then warm), with at most one line, and
in-process trust holds. SANDBOX_TRUST_TIMEOUT outside 0..300 s (``inf``, ``nan``, negatives,
garbage) falls back to the default with one line instead of waiting forever.
"""

import os
import time

import pytest

from tests.hardening import assert_quiet, probe

TIMEOUT = 30  # a hang fails the test instead of stalling the run


def _fifo(directory):
    path = os.path.join(directory, "fifo.pem")
    os.mkfifo(path)
    return path


def _directory(directory):
    path = os.path.join(directory, "a-directory.pem")
    os.mkdir(path)
    return path


def _hashed_directory(directory):
    """An SSL_CERT_DIR whose hashed names are a FIFO, a device and a directory."""
    path = os.path.join(directory, "certs")
    os.mkdir(path)
    os.mkfifo(os.path.join(path, "abcdef01.0"))
    os.symlink("/dev/zero", os.path.join(path, "abcdef01.1"))
    os.mkdir(os.path.join(path, "abcdef01.2"))
    return path


BASES = {
    "fifo": _fifo,
    "/dev/zero": lambda directory: "/dev/zero",
    "/dev/urandom": lambda directory: "/dev/urandom",
    "/dev/tty": lambda directory: "/dev/tty",
    "directory": _directory,
}
VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "PIP_CERT")


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("kind", BASES)
def test_hostile_base_never_blocks_start(run, core_venv, intercept, tmp_path, kind, variable):
    base = BASES[kind](str(tmp_path))
    env = {variable: base, "SANDBOX_CA_CERT": intercept.ca_path}
    for start in ("cold", "warm"):
        process = run(
            core_venv, ("-c", "import os; print(os.environ.get(%r))" % variable), timeout=TIMEOUT, **env
        )
        assert process.returncode == 0, (start, process.stderr)
        assert_quiet(process, lines=1)
        assert process.stdout.strip() == base  # unreadable: left as the user set it, never extended
    if variable == "SSL_CERT_FILE":
        return  # OpenSSL itself opens SSL_CERT_FILE for every client context: stock Python blocks there
    # In-process trust does not depend on it; the twin: the unrelated origin is rejected.
    outcome, process = run.probe(core_venv, "urllib_request", intercept.url, timeout=TIMEOUT, **env)
    assert outcome == "trusted", process.stderr


def test_hostile_entries_of_a_ca_directory(run, core_venv, intercept, unrelated, tmp_path):
    env = {"SSL_CERT_DIR": _hashed_directory(str(tmp_path)), "SANDBOX_CA_CERT": intercept.ca_path}
    for start in ("cold", "warm"):
        report, process = probe(
            run, core_venv, "report", intercept.url, unrelated.url, timeout=TIMEOUT, **env
        )
        assert_quiet(process, lines=1)
        assert report[intercept.url] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, (
            start,
            report,
        )
        assert report[unrelated.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, (
            report
        )


BAD_TIMEOUTS = ("inf", "-inf", "nan", "-1", "1e309", "301", "garbage", "5s")


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
def test_timeout_out_of_bounds_uses_the_default(run, core_venv, intercept, tmp_path, value):
    env = dict(
        SANDBOX_CA_CERT=str(tmp_path / "never.pem"), SANDBOX_INTERCEPT_HTTPS="1", SANDBOX_TRUST_TIMEOUT=value
    )
    started = time.monotonic()
    outcome, process = run.probe(core_venv, "urllib_request", intercept.url, timeout=TIMEOUT, **env)
    elapsed = time.monotonic() - started
    assert outcome == "rejected", process.stderr
    assert_quiet(process, lines=1, contains="SANDBOX_TRUST_TIMEOUT=%r" % value)
    assert 4.5 < elapsed < 20, elapsed  # the default, 5 s


@pytest.mark.parametrize("value, seconds", [("0", 0.0), ("1", 1.0), ("2.5", 2.5)])
def test_timeout_within_bounds_is_used(run, core_venv, intercept, tmp_path, value, seconds):
    """The twin: a valid value is used as given, and the one line is about the CA, not the setting."""
    env = dict(
        SANDBOX_CA_CERT=str(tmp_path / "never.pem"), SANDBOX_INTERCEPT_HTTPS="1", SANDBOX_TRUST_TIMEOUT=value
    )
    started = time.monotonic()
    outcome, process = run.probe(core_venv, "urllib_request", intercept.url, timeout=TIMEOUT, **env)
    elapsed = time.monotonic() - started
    assert outcome == "rejected", process.stderr
    lines = assert_quiet(process, lines=1, contains="no usable CA")
    assert "SANDBOX_TRUST_TIMEOUT" not in lines[0]
    assert seconds <= elapsed < seconds + 4, elapsed
