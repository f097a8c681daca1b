"""The command line as a health check: answers at once, names every misconfiguration, exit codes
that match what the interpreter enforces, help that explains itself, debug lines a person can read.

All through the installed ``sandbox-trust`` console script of fresh venvs, in scrubbed environments.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests.ca_material import CASES, OPENSSL, MintedOrigin, mint_with_cryptography
from tests.conftest import ROOT, Venv, cli, status_json
from tests.harness import find_python

PYTHON312 = find_python("3.12")
PYTHON313 = find_python("3.13")
COMMANDS = ("status", "env", "wait", "install", "uninstall", "demo")


@pytest.fixture(scope="module")
def strict_defect(tmp_path_factory):
    """A CA that every client accepts except under VERIFY_X509_STRICT (no keyUsage), and its origin."""
    if not OPENSSL:
        pytest.skip("the openssl command is needed to mint a CA without keyUsage")
    with MintedOrigin(tmp_path_factory.mktemp("strict"), "no-key-usage", CASES["no-key-usage"][0]) as origin:
        yield origin


@pytest.fixture(scope="module")
def venvs_by_version(make_venv):
    """``{"3.12": venv, "3.13": venv}``: the same wheel, one interpreter without and one with strict."""
    if PYTHON312 is None or PYTHON313 is None:
        pytest.skip("needs pyenv's CPython 3.12 and 3.13")
    return {"3.12": make_venv(python=PYTHON312), "3.13": make_venv(python=PYTHON313)}


# --- status answers at once ----------------------------------------------------------------------


def test_status_answers_at_once_when_declared_and_not_landed(run, core_venv, tmp_path):
    missing = str(tmp_path / "later.pem")
    env = {"SANDBOX_CA_CERT": missing, "SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_TRUST_TIMEOUT": "30"}
    started = time.monotonic()
    report, process = status_json(run, core_venv, **env)
    elapsed = time.monotonic() - started
    # A behaviour check, not a benchmark: it did not sit out the 30 s timeout.
    assert elapsed < 5, elapsed
    assert process.returncode == 1
    assert report["declared"] is True and report["ca_landed"] is False and report["waited"] < 1
    (problem,) = report["problems"]
    assert "declared, not landed yet" in problem and missing in problem and "30 s" in problem
    human = cli(run, core_venv, "status", **env)
    assert human.returncode == 1 and "declared, not landed yet" in human.stdout
    print("status, CA declared and not landed, timeout 30 s: answered in %.2f s" % elapsed)


def test_status_wait_waits_for_the_timeout(run, core_venv, tmp_path):
    missing = str(tmp_path / "never.pem")
    started = time.monotonic()
    process = cli(
        run,
        core_venv,
        "status",
        "--json",
        "--wait",
        SANDBOX_CA_CERT=missing,
        SANDBOX_INTERCEPT_HTTPS="1",
        SANDBOX_TRUST_TIMEOUT="0.5",
    )
    elapsed = time.monotonic() - started
    report = json.loads(process.stdout)
    assert process.returncode == 1 and elapsed >= 0.5 and report["waited"] >= 0.5
    (problem,) = report["problems"]
    assert "no usable CA at %s after 0.5 s" % missing in problem


def test_status_wait_sees_a_ca_that_lands(run, core_venv, intercept, tmp_path):
    path = tmp_path / "late.pem"
    waiter = subprocess.Popen(
        [os.path.join(core_venv.bin, "sandbox-trust"), "status", "--json", "--wait", "--timeout", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(
            PATH="/usr/local/bin:/usr/bin:/bin",
            HOME=run.home,
            LANG="C.UTF-8",
            SANDBOX_CA_CERT=str(path),
            SANDBOX_INTERCEPT_HTTPS="1",
        ),
        cwd=run.home,
    )
    time.sleep(1.0)  # the child is waiting by then (it starts in ~0.1 s)
    with open(intercept.ca_path, "rb") as f:
        path.write_bytes(f.read())
    stdout, stderr = waiter.communicate(timeout=30)
    report = json.loads(stdout)
    assert waiter.returncode == 0, stdout + stderr
    assert report["active"] is True and report["problems"] == [] and 0 < report["waited"] < 20


# --- every misconfiguration it can see ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("SANDBOX_TRUST_DISABLE", "true"),
        ("SANDBOX_INTERCEPT_HTTPS", "yes"),
        ("SANDBOX_TRUST_DEBUG", "on"),
        ("SANDBOX_TRUST_EXPORT_ENV", "false"),
        ("SANDBOX_TRUST_TIMEOUT", "abc"),
    ],
)
def test_a_switch_with_an_undocumented_value_is_named(run, core_venv, intercept, name, value):
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, **{name: value})
    assert process.returncode == 1
    assert report["ignored"] == [report["ignored"][0]] and report["ignored"][0]["variable"] == name
    (problem,) = report["problems"]
    accepted = "a number of seconds" if name == "SANDBOX_TRUST_TIMEOUT" else "1 or 0"
    assert "%s=%r" % (name, value) in problem and accepted in problem and "ignored" in problem
    assert report["active"] is True  # ignored means as if unset: everything else still works


def test_an_ignored_switch_is_named_with_nothing_else_to_do(run, core_venv, tmp_path):
    """SANDBOX_INTERCEPT_HTTPS=yes with no CA yet: the user meant to declare it and did not."""
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=str(tmp_path / "absent.pem"), SANDBOX_INTERCEPT_HTTPS="yes"
    )
    assert process.returncode == 1 and report["declared"] is False
    assert ["SANDBOX_INTERCEPT_HTTPS='yes'" in problem for problem in report["problems"]] == [True]


@pytest.mark.parametrize("value", ["1", "0", ""])
def test_documented_switch_values_are_no_problem(run, core_venv, intercept, value):
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DEBUG=value
    )
    assert process.returncode == 0 and report["problems"] == [] and report["ignored"] == []


def test_ignored_switches_are_one_debug_line_at_start(run, core_venv, intercept):
    process = run(
        core_venv,
        ["-c", "pass"],
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DEBUG="1",
        SANDBOX_TRUST_DISABLE="true",
        SANDBOX_TRUST_TIMEOUT="5s",
    )
    lines = [line for line in process.stderr.splitlines() if "debug: ignored" in line]
    assert lines == [
        "sandbox-trust: debug: ignored, as if unset: SANDBOX_TRUST_DISABLE='true' (accepted: 1 or 0); "
        "SANDBOX_TRUST_TIMEOUT='5s' (accepted: a number of seconds from 0 to 300)"
    ], process.stderr
    quiet = run(core_venv, ["-c", "pass"], SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DISABLE="true")
    assert quiet.stderr == ""  # without debug, start says nothing: status is where it is a problem


def test_a_private_key_in_the_ca_file_is_a_problem(run, core_venv, intercept, tmp_path):
    path = tmp_path / "ca-and-key.pem"
    with open(intercept.ca_path, "rb") as f:
        path.write_bytes(f.read() + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=str(path))
    assert process.returncode == 1 and report["active"] is True  # the certificate itself is used
    (problem,) = [p for p in report["problems"] if "private key" in p]
    assert str(path) in problem
    # Its twin: the same certificate alone is no problem.
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 0 and report["problems"] == []


def test_a_refused_cache_is_not_described_as_exported(run, core_venv, intercept, tmp_path):
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SANDBOX_TRUST_CACHE_DIR": str(cache)}
    report, _ = status_json(run, core_venv, **env)
    assert report["exports"] and all(
        e["path"] is None and not e["exported"] for e in report["exports"].values()
    )
    human = cli(run, core_venv, "status", **env)
    assert human.returncode == 1
    assert "exported as" not in human.stdout and "in this environment" not in human.stdout, human.stdout
    assert "not exported" in human.stdout and "SSL_CERT_FILE" in human.stdout
    # Its twin: a private cache is described as exported.
    fine = cli(run, core_venv, "status", SANDBOX_CA_CERT=intercept.ca_path)
    assert "exported as" in fine.stdout and "not exported" not in fine.stdout


def test_uninstall_hint_works_in_a_venv_without_pip(run, core_venv, intercept, tmp_path):
    path = str(tmp_path / "no pip")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", path], check=True)
    bare = Venv(path)
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    process = cli(run, core_venv, "install", "--venv", path)
    assert process.returncode == 0, process.stderr
    assert run.probe(bare, "urllib_request", intercept.url, **ca)[0] == "trusted"
    hint = re.search(r"\(uninstall: (.*)\)$", process.stdout.strip()).group(1)
    assert hint.startswith("rm -rf ") and "-m pip" not in hint
    removed = subprocess.run(["bash", "-c", hint], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    assert [name for name in os.listdir(bare.site_packages) if "sandbox_trust" in name] == []
    assert run.probe(bare, "urllib_request", intercept.url, **ca)[0] == "rejected"


# --- exit codes that match the interpreter --------------------------------------------------------


def test_strict_findings_fail_only_where_enforced(run, venvs_by_version, strict_defect):
    # Loaded as written: by default this CA is normalised (tests/test_anchor.py) and status says so.
    as_written = {"SANDBOX_CA_CERT": strict_defect.ca_path, "SANDBOX_TRUST_REPAIR_CA": "0"}
    for version, venv in venvs_by_version.items():
        report, process = status_json(run, venv, **as_written)
        enforced = version == "3.13"
        assert report["python"].startswith(version) and report["strict_enforced"] is enforced
        findings = report["problems"] if enforced else report["warnings"]
        (finding,) = findings
        assert "keyUsage missing" in finding and "VERIFY_X509_STRICT" in finding
        assert report["warnings" if enforced else "problems"] == []
        assert process.returncode == (1 if enforced else 0), (version, process.stdout)
        assert report["active"] is True
        human = cli(run, venv, "status", **as_written)
        assert ("warnings:" in human.stdout) is not enforced and ("problems:" in human.stdout) is enforced


def test_wait_fails_fast_when_waiting_cannot_help(run, core_venv, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    expired = tmp_path / "expired.pem"
    mint_with_cryptography(expired, now - 3 * day, now - day)
    key_only = tmp_path / "key.pem"
    key_only.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    cases = {str(expired): "expired on", str(key_only): "private key and no certificate"}
    if OPENSSL:
        directory = tmp_path / "not-a-ca"
        directory.mkdir()
        not_a_ca = MintedOrigin(directory, "ca-false", CASES["ca-false"][0])
        not_a_ca._server.server_close()  # only its CA file is needed
        cases[not_a_ca.ca_path] = "says cA=FALSE"
    for path, reason in cases.items():
        started = time.monotonic()
        process = cli(run, core_venv, "wait", "--timeout", "30", SANDBOX_CA_CERT=path)
        elapsed = time.monotonic() - started
        assert process.returncode == 1 and elapsed < 5, (path, elapsed)
        assert "waiting cannot help" in process.stderr and reason in process.stderr, process.stderr
    # Its twin: a file that may still be replaced (not PEM yet) is waited for, to the timeout.
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    started = time.monotonic()
    process = cli(run, core_venv, "wait", "--timeout", "0.5", SANDBOX_CA_CERT=str(garbage))
    assert process.returncode == 1 and time.monotonic() - started >= 0.5 and "timed out" in process.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_wait_rejects_a_bad_timeout(run, core_venv, intercept, value):
    process = cli(run, core_venv, "wait", "--timeout", value, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 2 and "--timeout" in process.stderr and "Traceback" not in process.stderr
    fine = cli(run, core_venv, "wait", "--timeout", "0", SANDBOX_CA_CERT=intercept.ca_path)
    assert fine.returncode == 0, fine.stderr
    status = cli(run, core_venv, "status", "--wait", "--timeout", value, SANDBOX_CA_CERT=intercept.ca_path)
    assert status.returncode == 2 and "--timeout" in status.stderr


def test_status_timeout_needs_wait(run, core_venv, intercept):
    process = cli(run, core_venv, "status", "--timeout", "1", SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 2 and "--timeout only applies with --wait" in process.stderr


# --- the CLI explains itself ----------------------------------------------------------------------


def test_version(run, core_venv):
    version = run(core_venv, ["-c", "import sandbox_trust; print(sandbox_trust.__version__)"]).stdout.strip()
    for flag in ("-V", "--version"):
        process = cli(run, core_venv, flag)
        assert process.returncode == 0 and process.stdout.strip() == "sandbox-trust " + version


def _readme_variables():
    with open(os.path.join(ROOT, "README.md")) as f:
        section = f.read().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(SANDBOX_[A-Z_]+)` \|", section, re.MULTILINE)


def test_top_level_help_lists_every_variable_of_the_readme(run, core_venv):
    documented = _readme_variables()
    assert len(documented) >= 7
    process = cli(run, core_venv, "--help")
    assert process.returncode == 0
    assert sorted(set(re.findall(r"SANDBOX_[A-Z_]+", process.stdout))) == sorted(documented)
    for command in COMMANDS:
        assert re.search(r"^    %s +\S" % command, process.stdout, re.MULTILINE), command


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_description_exit_codes_and_variables(run, core_venv, command):
    process = cli(run, core_venv, command, "--help")
    assert process.returncode == 0
    usage, description = process.stdout.split("\n\n")[:2]
    assert usage.startswith("usage: sandbox-trust %s" % command)
    assert len(description.split()) > 15, description  # a description, not the one-line summary
    codes = process.stdout.split("exit codes:\n", 1)[1].split("environment variables read:\n", 1)
    assert re.search(r"^  0  \S", codes[0], re.MULTILINE) and re.search(r"^  1  \S", codes[0], re.MULTILINE)
    assert codes[1].strip(), process.stdout
    if command in ("status", "env", "wait"):
        assert "SANDBOX_CA_CERT" in codes[1] and "SANDBOX_TRUST_TIMEOUT" in codes[1]


# --- debug output a person can read -------------------------------------------------------------


def test_debug_lines_for_the_ca_and_the_exports(run, core_venv, intercept, unrelated):
    """The user's own SSL_CERT_FILE is extended, the rest created: one line says which."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SSL_CERT_FILE": unrelated.ca_path}
    report, _ = status_json(run, core_venv, **env)
    (certificate,) = report["certificates"]
    outcome, process = run.probe(core_venv, "urllib_request", intercept.url, SANDBOX_TRUST_DEBUG="1", **env)
    assert outcome == "trusted"
    lines = process.stderr.splitlines()
    (exports,) = [line for line in lines if "debug: exported " in line]
    count = len(report["exports"])
    assert re.search(
        r"exported %d variable\(s\), %d created, 1 extended from your value \(SSL_CERT_FILE\); bundles: /"
        % (count, count - 1),
        exports,
    ), exports
    (loaded,) = [line for line in lines if "debug: CA loaded" in line]
    assert certificate["subject"] in loaded and "sha256 " + certificate["sha256"] in loaded, loaded
    # Without debug: nothing at all.
    quiet_outcome, quiet = run.probe(core_venv, "urllib_request", intercept.url, **env)
    assert quiet_outcome == "trusted" and quiet.stderr == ""


def test_the_313_strict_warning_is_the_one_line(run, venvs_by_version, strict_defect):
    # Loaded as written: by default this CA is normalised and trusted (tests/test_anchor.py).
    ca = {"SANDBOX_CA_CERT": strict_defect.ca_path, "SANDBOX_TRUST_REPAIR_CA": "0"}
    strict = venvs_by_version["3.13"]
    outcome, process = run.probe(strict, "create_default_context", strict_defect.url, **ca)
    assert outcome == "rejected"
    (line,) = process.stderr.splitlines()
    assert line.startswith("sandbox-trust: CA certificate ") and "VERIFY_X509_STRICT" in line
    assert "keyUsage missing" in line and "CA cert does not include key usage extension" in line
    assert "SANDBOX_TRUST_REPAIR_CA=0" in line
    # With debug it is there once among the debug lines.
    _, debug = run.probe(strict, "create_default_context", strict_defect.url, SANDBOX_TRUST_DEBUG="1", **ca)
    assert sum("fails the strict X.509 checks" in line for line in debug.stderr.splitlines()) == 1
    # Its twins: 3.12 trusts the same CA and says nothing; 3.13 with a compliant CA says nothing.
    outcome, lenient = run.probe(venvs_by_version["3.12"], "create_default_context", strict_defect.url, **ca)
    assert outcome == "trusted" and lenient.stderr == ""


def test_no_strict_warning_for_a_compliant_ca_on_313(run, venvs_by_version, intercept):
    outcome, process = run.probe(
        venvs_by_version["3.13"], "create_default_context", intercept.url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "trusted" and process.stderr == ""
