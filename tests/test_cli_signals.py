"""The application and ``sandbox-trust status`` say the same thing about an unusable CA, each once.

An expired or not-a-CA certificate loads into OpenSSL without a word, and every handshake then
fails with CERTIFICATE_VERIFY_FAILED: the first client context names it in the process's one
``sandbox-trust:`` line, in the sentence ``status`` lists as its problem. The command itself says
each thing once, survives a reader that leaves (``status --json | head``), and explains its bounds.
All through the installed console script of the core venv, in scrubbed environments.
"""

import datetime
import json
import subprocess

import pytest

from tests.ca_material import CASES, OPENSSL, MintedOrigin, mint_with_cryptography
from tests.conftest import cli, status_json

KEY_ONLY = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
# Two client contexts: the line is the first one's, once per process.
APP = ["-c", "import ssl; ssl.create_default_context(); ssl.create_default_context()"]


def _sandbox_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("sandbox-trust:")]


@pytest.fixture
def unusable_ca(tmp_path):
    """``make(kind)``: the path of a CA file no client can use, of one kind."""

    def make(kind):
        path = tmp_path / ("%s.pem" % kind)
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        if kind == "expired":
            mint_with_cryptography(path, now - 3 * day, now - day)
        elif kind == "not-yet-valid":
            mint_with_cryptography(path, now + day, now + 3 * day)
        elif kind == "not-a-ca":
            if not OPENSSL:
                pytest.skip("the openssl command is needed to mint a CA with cA=FALSE")
            directory = tmp_path / "not-a-ca"
            directory.mkdir()
            origin = MintedOrigin(directory, "ca-false", CASES["ca-false"][0])
            origin._server.server_close()  # only its CA file is needed
            return origin.ca_path
        elif kind == "key-only":
            path.write_bytes(KEY_ONLY)
        elif kind == "garbage":
            path.write_bytes(b"not a certificate\n")
        return str(path)

    return make


@pytest.mark.parametrize("kind", ["expired", "not-yet-valid", "not-a-ca", "key-only", "garbage"])
def test_the_app_gets_the_problem_status_names(run, core_venv, unusable_ca, kind):
    path = unusable_ca(kind)
    app = run(core_venv, APP, SANDBOX_CA_CERT=path)
    assert app.returncode == 0, app.stderr  # said, never raised into the application
    (line,) = _sandbox_lines(app.stderr)
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=path)
    assert process.returncode == 1
    (problem,) = report["problems"]
    assert problem in line, (line, problem)  # the same sentence, word for word


def test_a_usable_ca_gives_the_app_no_line(run, core_venv, intercept):
    """The twin: a good CA, two client contexts, nothing said; status has no problem either."""
    app = run(core_venv, APP, SANDBOX_CA_CERT=intercept.ca_path)
    assert app.returncode == 0 and app.stderr == ""
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 0 and report["problems"] == []


def test_server_contexts_say_nothing_of_the_ca(run, core_venv, unusable_ca):
    """Server contexts never gain the CA, so its state is not theirs to report."""
    code = "import ssl; ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_default_certs(ssl.Purpose.CLIENT_AUTH)"
    process = run(core_venv, ["-c", code], SANDBOX_CA_CERT=unusable_ca("expired"))
    assert process.returncode == 0 and _sandbox_lines(process.stderr) == []


@pytest.mark.parametrize("kind", ["key-only", "garbage", "expired"])
def test_status_says_each_problem_once(run, core_venv, unusable_ca, kind):
    path = unusable_ca(kind)
    for args in (["status"], ["status", "--json"]):
        process = cli(run, core_venv, *args, SANDBOX_CA_CERT=path)
        assert process.returncode == 1 and process.stderr == "", process.stderr
    human = cli(run, core_venv, "status", SANDBOX_CA_CERT=path)
    (problem,) = status_json(run, core_venv, SANDBOX_CA_CERT=path)[0]["problems"]
    assert human.stdout.count(problem) == 1
    # Its twin: any other process of the same interpreter still gets its one line.
    assert len(_sandbox_lines(run(core_venv, APP, SANDBOX_CA_CERT=path).stderr)) == 1


@pytest.mark.parametrize("kind", ["key-only", "expired"])
def test_wait_says_why_once(run, core_venv, unusable_ca, kind):
    path = unusable_ca(kind)
    for command in (["wait", "--timeout", "5"], ["-m", "sandbox_trust", "wait", "--timeout", "5"]):
        if command[0] == "-m":
            process = run(core_venv, command, SANDBOX_CA_CERT=path)
        else:
            process = cli(run, core_venv, *command, SANDBOX_CA_CERT=path)
        assert process.returncode == 1
        (line,) = _sandbox_lines(process.stderr)
        assert line.startswith("sandbox-trust: waiting cannot help: "), process.stderr


@pytest.mark.parametrize(
    "args",
    [["status", "--json"], ["status"], ["env"], ["--help"], ["status", "--help"], ["wait", "--timeout", "1"]],
)
def test_a_reader_that_leaves_ends_it_quietly(core_venv, run, intercept, args):
    """``status --json | head``: the pipe closes before the output is written; no traceback."""
    process = subprocess.Popen(
        [core_venv.bin + "/sandbox-trust", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(PATH="/usr/bin:/bin", HOME=run.home, LANG="C.UTF-8", SANDBOX_CA_CERT=intercept.ca_path),
        cwd=run.home,
    )
    process.stdout.close()  # the reader is gone before the command writes anything
    stderr = process.stderr.read().decode()
    code = process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr and "Exception ignored" not in stderr
    assert code == 141, (code, stderr)
    # Its twin: a reader that stays gets everything and the command's own exit code.
    whole = cli(run, core_venv, *args, SANDBOX_CA_CERT=intercept.ca_path)
    assert whole.returncode == 0 and whole.stdout and whole.stderr == "", whole.stderr
    if args == ["status", "--json"]:
        assert json.loads(whole.stdout)["active"] is True


@pytest.mark.parametrize("command", [["wait"], ["status", "--wait"]])
@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_a_bad_timeout_states_the_valid_range(run, core_venv, intercept, command, value):
    process = cli(run, core_venv, *command, "--timeout", value, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert "argument --timeout: expected a finite number of seconds, 0 or more" in process.stderr
    assert repr(value) in process.stderr
    assert "invalid timeout value" not in process.stderr


def test_top_level_help_states_the_cache_fallback_and_the_timeout_bound(run, core_venv):
    process = cli(run, core_venv, "--help")
    assert process.returncode == 0
    assert "$TMPDIR/sandbox-trust-UID" in process.stdout
    assert "0 to 300" in process.stdout
    assert "141" in process.stdout  # the closed-pipe exit code is documented with the others


def test_validity_times_are_read_as_datetime_reads_them(run, core_venv):
    """The CA's dates are ISO 8601 text, not datetime (its import was most of the first context's
    check): the same times accepted, the same text, the same order (tests/scripts/x509_times.py)."""
    report, _ = run.script(core_venv, "x509_times")
    assert report["mismatches"] == [] and report["accepted"] > 500 and report["ordered"], report
    assert report["utc"] == {
        "491231235959": "2049-12-31T23:59:59Z",
        "500101000000": "1950-01-01T00:00:00Z",
        "991231235959": "1999-12-31T23:59:59Z",
    }
    assert report["now_close"]
