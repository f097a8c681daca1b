"""The command line: status, env, wait, install, each exit code, in the built wheel's venvs.

The Python 3.13 strictness diagnosis is proven twice for every defect: the CA minted with the
``openssl`` command lacking exactly that extension is named by ``status``, and a real handshake with
``VERIFY_X509_STRICT`` fails with the OpenSSL error the diagnosis quotes while one without it passes.
"""

import datetime
import hashlib
import json
import os
import ssl
import subprocess
import sys
import time

import pytest

from tests.ca_material import (
    CASES,
    OPENSSL,
    MintedOrigin,
    mint_with_cryptography,
    openssl_field,
)
from tests.conftest import Venv, cli, scrubbed_env, status_json
from tests.harness import ROOT, SYSTEM_BUNDLE, find_python

PYTHON313 = find_python("3.13") or next(
    (path for path in ("/usr/bin/python3.13", "/usr/local/bin/python3.13") if os.path.exists(path)), None
)
# An interpreter without 3.13's VERIFY_X509_STRICT default, whatever version runs the suite.
PYTHON_NOT_STRICT = (
    sys.executable if sys.version_info < (3, 13) else find_python("3.12") or find_python("3.11")
)

# Strict-only defects of the CA's own encoding: client contexts load it normalised (tests/test_anchor.py).
NORMALISED = ("no-key-usage", "basic-constraints-not-critical", "path-length-without-key-usage")
STRICT_CLIENTS = ("urllib", "http.client", "requests/urllib3 2.x", "httpx", "aiohttp")
LENIENT_CLIENTS = ("botocore", "httpx2", "truststore/pip", "grpc", "pycurl")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minted(tmp_path_factory):
    if not OPENSSL:
        pytest.skip("the openssl command is needed to mint CAs lacking one extension")
    directory = tmp_path_factory.mktemp("minted")
    origins = {name: MintedOrigin(directory, name, extensions) for name, (extensions, _) in CASES.items()}
    for origin in origins.values():
        origin.__enter__()
    yield origins
    for origin in origins.values():
        origin.__exit__()


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


# --- status ------------------------------------------------------------------------------------


def test_status_of_a_trustme_ca(run, core_venv, intercept):
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 0, process.stdout + process.stderr
    assert process.stderr == ""
    assert report["active"] is True and report["installed"] is True and report["problems"] == []
    assert report["ca_path"] == intercept.ca_path
    (certificate,) = report["certificates"]
    assert certificate["sha256"] == hashlib.sha256(der_of(intercept.ca_path)).hexdigest()
    assert (
        certificate["subject"]
        == openssl_field(intercept.ca_path, "-subject", "-nameopt", "RFC2253")[len("subject=") :]
    )
    not_after = datetime.datetime.strptime(
        openssl_field(intercept.ca_path, "-enddate")[len("notAfter=") :], "%b %d %H:%M:%S %Y GMT"
    )
    assert certificate["not_after"] == not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert certificate["issues"] == [] and certificate["strict_ok"] is True
    # Every variable a start exports, with the bundle this very process exported at its start.
    for name in (
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "GIT_SSL_CAINFO",
        "NODE_EXTRA_CA_CERTS",
    ):
        export = report["exports"][name]
        assert export["set_at_start"] is True and export["environ"] == export["path"], name
        with open(export["path"]) as f:
            assert open(intercept.ca_path).read().strip() in f.read(), name
    assert report["exports"]["SSL_CERT_FILE"]["base"] == SYSTEM_BUNDLE
    assert report["exports"]["NODE_EXTRA_CA_CERTS"]["base"] is None
    assert {bundle["path"] for bundle in report["bundles"]} == {e["path"] for e in report["exports"].values()}
    assert report["cache_dir"] == os.path.join(run.home, ".cache", "sandbox-trust")

    human = cli(run, core_venv, "status", SANDBOX_CA_CERT=intercept.ca_path)
    assert human.returncode == 0
    assert certificate["sha256"] in human.stdout and certificate["subject"] in human.stdout
    assert ": active" in human.stdout.splitlines()[0] and "problems      none" in human.stdout


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("repair", ["1", "0"])
def test_status_diagnoses_each_ca_defect(run, core_venv, minted, case, repair):
    """Each defect named; the two that are mended are information (exit 0) unless the repair is off."""
    origin = minted[case]
    expected = CASES[case][1]
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=origin.ca_path, SANDBOX_TRUST_REPAIR_CA=repair
    )
    (certificate,) = report["certificates"]
    issues = [(i["extension"], i["problem"], i["strict_only"]) for i in certificate["issues"]]
    assert issues == expected
    assert (
        certificate["subject"]
        == openssl_field(origin.ca_path, "-subject", "-nameopt", "RFC2253")[len("subject=") :]
    )
    assert certificate["sha256"] == hashlib.sha256(der_of(origin.ca_path)).hexdigest()
    if not expected:
        assert process.returncode == 0 and report["problems"] == [] and report["active"] is True
        assert "strict_clients" not in report and report["warnings"] == []
    elif case in NORMALISED and repair == "1":
        assert process.returncode == 0 and report["problems"] == [] and report["warnings"] == []
        assert report["active"] is True and "strict_clients" not in report
        (sentence,) = report["information"]
        assert "%s %s" % expected[0][:2] in sentence and "SANDBOX_TRUST_REPAIR_CA=0" in sentence
        assert certificate["normalised"]["strict_ok"] is True
        human = cli(run, core_venv, "status", SANDBOX_CA_CERT=origin.ca_path)
        assert human.returncode == 0 and "normalised trust anchor" in human.stdout
    else:
        extension, description, strict_only = expected[0]
        # Strict-only findings fail status only where this interpreter enforces them (3.13+).
        fails = not strict_only or report["strict_enforced"]
        assert process.returncode == (1 if fails else 0)
        (problem,) = report["problems"] if fails else report["warnings"]
        assert "%s %s" % (extension, description) in problem
        assert report["active"] is (strict_only is True)
        if strict_only:  # name who fails on 3.13 and who does not
            assert "VERIFY_X509_STRICT" in problem
            assert all(client in problem for client in STRICT_CLIENTS + LENIENT_CLIENTS), problem
            assert report["strict_clients"]["still_trust"]
        else:
            assert "every client rejects" in problem
        human = cli(run, core_venv, "status", SANDBOX_CA_CERT=origin.ca_path, SANDBOX_TRUST_REPAIR_CA=repair)
        assert human.returncode == process.returncode and "%s %s" % (extension, description) in human.stdout


@pytest.mark.parametrize("case", CASES)
def test_the_diagnosis_matches_openssl(core_venv, run, minted, case):
    """What status says is what OpenSSL does: strict handshakes fail with the quoted error, lax ones
    fail only for the defects status says break every client."""
    report, _ = status_json(run, core_venv, SANDBOX_CA_CERT=minted[case].ca_path)
    issues = report["certificates"][0]["issues"]
    strict, lax = minted[case].handshake(strict=True), minted[case].handshake(strict=False)
    if not issues:
        assert strict is None and lax is None
        return
    assert strict == issues[0]["openssl_error"]
    if all(issue["strict_only"] for issue in issues):
        assert lax is None
    else:
        assert lax == issues[0]["openssl_error"]


def test_strict_defect_fails_only_on_python_313(run, core_venv, make_venv, minted):
    """The failure the diagnosis explains: same CA loaded as written (SANDBOX_TRUST_REPAIR_CA=0),
    same package, trusted on 3.11, rejected on 3.13; normalised (the default), trusted on both."""
    if PYTHON313 is None or PYTHON_NOT_STRICT is None:
        pytest.skip("needs CPython 3.13 and an older CPython")
    venv313 = make_venv(python=PYTHON313)
    not_strict = make_venv(python=PYTHON_NOT_STRICT)
    sloppy, good = minted["no-key-usage"], minted["good"]
    as_written = {"SANDBOX_CA_CERT": sloppy.ca_path, "SANDBOX_TRUST_REPAIR_CA": "0"}
    for client in ("urllib_request", "create_default_context"):
        assert run.probe(venv313, client, sloppy.url, **as_written)[0] == "rejected"
        assert run.probe(not_strict, client, sloppy.url, **as_written)[0] == "trusted"
        assert run.probe(venv313, client, sloppy.url, SANDBOX_CA_CERT=sloppy.ca_path)[0] == "trusted"
        assert run.probe(not_strict, client, sloppy.url, SANDBOX_CA_CERT=sloppy.ca_path)[0] == "trusted"
        assert run.probe(venv313, client, good.url, SANDBOX_CA_CERT=good.ca_path)[0] == "trusted"
    report, process = status_json(run, venv313, **as_written)
    assert process.returncode == 1 and report["python"].startswith("3.13")
    assert "keyUsage missing" in report["problems"][0]


def test_status_nothing_to_do(run, core_venv, tmp_path):
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=str(tmp_path / "absent.pem"))
    assert process.returncode == 0 and process.stderr == ""
    assert report["active"] is False and report["ca_present"] is False and report["problems"] == []
    assert report["exports"] == {} and report["certificates"] == []


def test_status_opted_out(run, core_venv, intercept):
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DISABLE="1"
    )
    assert process.returncode == 0 and report["active"] is False and report["disabled"] is True
    assert report["problems"] == [] and report["exports"] == {}
    assert len(report["certificates"]) == 1  # the CA is still shown


def test_status_export_off(run, core_venv, intercept):
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_EXPORT_ENV="0"
    )
    assert process.returncode == 0 and report["active"] is True and report["exports"] == {}


@pytest.mark.parametrize(
    "content",
    [b"not a certificate\n", b"", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
)
def test_status_unusable_ca_file(run, core_venv, tmp_path, content):
    path = tmp_path / "ca.pem"
    path.write_bytes(content)
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=str(path))
    assert process.returncode == 1 and report["active"] is False
    assert report["problems"] and str(path) in report["problems"][0]


@pytest.mark.parametrize("when", ["expired", "not-yet-valid"])
def test_status_ca_out_of_validity(run, core_venv, tmp_path, when):
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    window = (now - 3 * day, now - day) if when == "expired" else (now + day, now + 3 * day)
    subject = mint_with_cryptography(tmp_path / "ca.pem", *window)
    report, process = status_json(run, core_venv, SANDBOX_CA_CERT=str(tmp_path / "ca.pem"))
    assert process.returncode == 1 and report["active"] is False
    (certificate,) = report["certificates"]
    assert certificate["subject"] == subject  # RFC 4514 escaping, as cryptography writes it
    assert certificate["not_after"] == window[1].strftime("%Y-%m-%dT%H:%M:%SZ")
    (problem,) = report["problems"]
    assert ("expired on" if when == "expired" else "not valid before") in problem


def test_status_refused_cache(run, core_venv, intercept, tmp_path):
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    report, process = status_json(
        run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=str(cache)
    )
    assert process.returncode == 1
    assert any("refused" in problem and str(cache) in problem for problem in report["problems"])
    assert any("no merged bundle" in problem for problem in report["problems"])
    assert os.listdir(cache) == []


def test_status_without_the_startup_file(run, make_venv, intercept):
    """Run from the source tree in a venv without the package: the CA is fine, nothing is active."""
    bare = make_venv(with_package=False)
    process = run(
        bare,
        ["-m", "sandbox_trust", "status", "--json"],
        SANDBOX_CA_CERT=intercept.ca_path,
        PYTHONPATH=os.path.join(ROOT, "src"),
    )
    report = json.loads(process.stdout)
    assert process.returncode == 1 and report["installed"] is False and report["active"] is False
    # 3.15 names the .start too: "sandbox_trust.pth and sandbox_trust.start are not installed"
    assert "sandbox_trust.pth" in report["problems"][0] and " not installed" in report["problems"][0]


def test_python_m_equals_console_script(run, core_venv, intercept, minted):
    for ca in (intercept.ca_path, minted["no-key-usage"].ca_path):
        for args in (["status"], ["status", "--json"]):
            script = cli(run, core_venv, *args, SANDBOX_CA_CERT=ca)
            module = run(core_venv, ["-m", "sandbox_trust", *args], SANDBOX_CA_CERT=ca)
            assert (module.returncode, module.stdout, module.stderr) == (
                script.returncode,
                script.stdout,
                script.stderr,
            )


# --- env ---------------------------------------------------------------------------------------


def shell(run, venv, script, **env):
    env = scrubbed_env(run.home, **env)
    env["PATH"] = venv.bin + ":" + env["PATH"]
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, cwd=run.home, timeout=60
    )


def test_env_makes_curl_trust_the_ca(run, core_venv, intercept, unrelated):
    process = shell(
        run,
        core_venv,
        'eval "$(sandbox-trust env)" && curl -sS --max-time 10 %s' % intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
    )
    assert process.returncode == 0 and process.stdout == "ok", process.stderr


def test_env_still_rejects_an_unrelated_ca(run, core_venv, intercept, unrelated):
    process = shell(
        run,
        core_venv,
        'eval "$(sandbox-trust env)" && curl -sS --max-time 10 %s' % unrelated.url,
        SANDBOX_CA_CERT=intercept.ca_path,
    )
    assert process.returncode == 60, process.stderr  # curl: peer certificate cannot be authenticated


def test_without_env_curl_rejects_the_ca(run, core_venv, intercept):
    process = shell(
        run, core_venv, "curl -sS --max-time 10 %s" % intercept.url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert process.returncode == 60, process.stderr


def test_env_opted_out_exports_nothing(run, core_venv, intercept):
    process = shell(
        run,
        core_venv,
        'eval "$(sandbox-trust env)" && curl -sS --max-time 10 %s' % intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DISABLE="1",
    )
    assert process.returncode == 60, process.stderr


MERGED_VERIFY = (
    "import requests; s = requests.Session(); "
    "print(s.merge_environment_settings('https://example.test/', {}, None, None, None)['verify'])"
)


def test_env_records_its_values_for_python_children(run, core_venv, intercept):
    """A Python started from an ``eval "$(sandbox-trust env)"`` shell knows the values are the package's:
    its requests keeps its own default (``verify`` stays True) as it would without the package."""
    exports = cli(run, core_venv, "env", SANDBOX_CA_CERT=intercept.ca_path)
    assert exports.returncode == 0 and "export SANDBOX_TRUST_EXPORTED=" in exports.stdout, exports.stderr
    without_record = "\n".join(
        line for line in exports.stdout.splitlines() if "SANDBOX_TRUST_EXPORTED" not in line
    )
    for lines, expected in ((exports.stdout, "True"), (without_record, "REQUESTS_CA_BUNDLE")):
        process = shell(
            run,
            core_venv,
            '%s\npython -c "%s"; printf "%%s\\n" "$REQUESTS_CA_BUNDLE"' % (lines, MERGED_VERIFY),
            SANDBOX_CA_CERT=intercept.ca_path,
        )
        verify, variable = process.stdout.splitlines()
        # Without the record the value looks like the user's own, and requests must obey it.
        assert verify == ("True" if expected == "True" else variable), process.stdout + process.stderr


def test_env_output_is_quoted_for_the_shell(run, core_venv, intercept, tmp_path):
    cache = tmp_path / 'it\'s a "cache" $HOME `x`'
    process = cli(
        run, core_venv, "env", SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=str(cache)
    )
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert all(line.startswith("export ") for line in lines) and "export SSL_CERT_FILE=" in process.stdout
    report, _ = status_json(
        run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=str(cache)
    )
    evaluated = shell(
        run, core_venv, process.stdout + '\nprintf "%s\\n" "$SSL_CERT_FILE" "$NODE_EXTRA_CA_CERTS"'
    )
    assert evaluated.stdout.splitlines() == [
        report["exports"]["SSL_CERT_FILE"]["path"],
        report["exports"]["NODE_EXTRA_CA_CERTS"]["path"],
    ]
    assert str(cache) in evaluated.stdout


def test_env_without_ca(run, core_venv, tmp_path):
    process = cli(run, core_venv, "env", SANDBOX_CA_CERT=str(tmp_path / "absent.pem"))
    assert process.returncode == 1 and process.stdout == ""
    assert "no usable CA" in process.stderr


# --- wait --------------------------------------------------------------------------------------


def test_wait_ca_present(run, core_venv, intercept):
    process = cli(run, core_venv, "wait", SANDBOX_CA_CERT=intercept.ca_path)
    assert process.returncode == 0, process.stderr


@pytest.mark.parametrize("how", ["--timeout", "SANDBOX_TRUST_TIMEOUT"])
def test_wait_times_out(run, core_venv, tmp_path, how):
    env = {"SANDBOX_CA_CERT": str(tmp_path / "never.pem")}
    args = ["wait"]
    if how == "--timeout":
        args += ["--timeout", "0.3"]
    else:
        env["SANDBOX_TRUST_TIMEOUT"] = "0.3"
    started = time.monotonic()
    process = cli(run, core_venv, *args, **env)
    elapsed = time.monotonic() - started
    assert process.returncode == 1 and "timed out" in process.stderr
    assert 0.3 <= elapsed < 10, elapsed


def test_wait_invalid_ca_times_out(run, core_venv, tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("not a certificate\n")
    process = cli(run, core_venv, "wait", "--timeout", "0.2", SANDBOX_CA_CERT=str(path))
    assert process.returncode == 1 and "no PEM certificate" in process.stderr


def test_wait_ca_lands_after_300_ms(core_venv, intercept, tmp_path, run):
    path = str(tmp_path / "late.pem")
    with open(intercept.ca_path, "rb") as f:
        pem = f.read()
    started = time.monotonic()
    waiter = subprocess.Popen(
        [os.path.join(core_venv.bin, "sandbox-trust"), "wait", "--timeout", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=scrubbed_env(run.home, SANDBOX_CA_CERT=path),
        cwd=run.home,
    )
    time.sleep(0.3)
    with open(path + ".part", "wb") as f:  # first half, then the rest: a landing in two writes
        f.write(pem[: len(pem) // 2])
    os.rename(path + ".part", path)
    time.sleep(0.05)
    with open(path, "ab") as f:
        f.write(pem[len(pem) // 2 :])
    landed = time.monotonic()
    stdout, stderr = waiter.communicate(timeout=30)
    ended = time.monotonic()
    assert waiter.returncode == 0, stderr
    assert "ready" in stdout
    print(
        "wait: CA landed %.2f s after start, the command returned %.3f s later"
        % (landed - started, ended - landed)
    )


# --- install --venv ----------------------------------------------------------------------------


@pytest.fixture
def plain_venv(tmp_path):
    """A venv made with ``python -m venv`` that never had sandbox-trust."""
    path = str(tmp_path / "plain venv")
    subprocess.run([sys.executable, "-m", "venv", path], check=True, capture_output=True)
    return Venv(path)


def _pip_list(run, venv):
    process = run(venv, ["-m", "pip", "list", "--format=json"], PIP_NO_INDEX="1")
    return {entry["name"]: entry["version"] for entry in json.loads(process.stdout)}


def test_install_into_another_venv(run, core_venv, plain_venv, intercept, unrelated):
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "rejected"
    assert "sandbox-trust" not in _pip_list(run, plain_venv)

    for _attempt in (1, 2):  # running it twice is fine
        process = cli(run, core_venv, "install", "--venv", plain_venv.path)
        assert process.returncode == 0, process.stderr
        assert plain_venv.site_packages in process.stdout
        outcome, probe = run.probe(plain_venv, "urllib_request", intercept.url, **ca)
        assert outcome == "trusted" and probe.stderr == "", probe.stdout + probe.stderr
        assert (
            run.probe(plain_venv, "urllib_request", intercept.url, SANDBOX_TRUST_DISABLE="1", **ca)[0]
            == "rejected"
        )
        assert run.probe(plain_venv, "urllib_request", unrelated.url, **ca)[0] == "rejected"
        assert run.probe(plain_venv, "create_default_context", intercept.url, **ca)[0] == "trusted"
        assert _pip_list(run, plain_venv)["sandbox-trust"] == core_venv_version(run, core_venv)
    status = run(plain_venv, ["-m", "sandbox_trust", "status", "--json"], **ca)
    assert status.returncode == 0 and json.loads(status.stdout)["active"] is True

    uninstall = run(plain_venv, ["-m", "pip", "uninstall", "-y", "sandbox-trust"])
    assert uninstall.returncode == 0, uninstall.stderr
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "rejected"
    leftovers = [name for name in os.listdir(plain_venv.site_packages) if "sandbox_trust" in name]
    assert leftovers == []


def test_install_over_a_pip_installed_copy(run, core_venv, plain_venv, wheel, intercept):
    """pip's own files that install does not write (the console script) stay pip-uninstallable."""
    plain_venv.pip("install", "-q", "--no-deps", wheel)
    script = os.path.join(plain_venv.bin, "sandbox-trust")
    assert os.path.exists(script)
    process = cli(run, core_venv, "install", "--venv", plain_venv.path)
    assert process.returncode == 0, process.stderr
    assert [
        name
        for name in os.listdir(plain_venv.site_packages)
        if name.endswith(".dist-info") and name.startswith("sandbox_trust")
    ] == ["sandbox_trust-%s.dist-info" % core_venv_version(run, core_venv)]
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "trusted"
    assert run(plain_venv, ["-m", "pip", "uninstall", "-y", "sandbox-trust"]).returncode == 0
    assert not os.path.exists(script)
    assert [name for name in os.listdir(plain_venv.site_packages) if "sandbox_trust" in name] == []


def test_uninstall_venv_undoes_install_venv(run, core_venv, plain_venv, wheel, intercept):
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    before = sorted(set(os.listdir(plain_venv.site_packages)) - {"__pycache__"})
    assert cli(run, core_venv, "install", "--venv", plain_venv.path).returncode == 0
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "trusted"
    # Both startup files (3.15 runs the .start, older versions the .pth) and both modules, as pip's.
    for name in (
        "sandbox_trust.pth",
        "sandbox_trust.start",
        "_sandbox_trust_gate.py",
        "_sandbox_trust_boot.py",
    ):
        with (
            open(os.path.join(core_venv.site_packages, name)) as a,
            open(os.path.join(plain_venv.site_packages, name)) as b,
        ):
            assert a.read() == b.read(), name
    for attempt in (1, 2):  # idempotent: nothing left to remove is success
        process = cli(run, core_venv, "uninstall", "--venv", plain_venv.path)
        assert process.returncode == 0, process.stderr
        assert ("removed from" if attempt == 1 else "nothing to remove") in process.stdout
    assert sorted(set(os.listdir(plain_venv.site_packages)) - {"__pycache__"}) == before
    cache = os.path.join(plain_venv.site_packages, "__pycache__")
    assert (
        not [name for name in os.listdir(cache) if "sandbox_trust" in name] if os.path.isdir(cache) else True
    )
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "rejected"
    # A copy pip installed is pip's to remove: refused, left as it is.
    plain_venv.pip("install", "-q", "--no-deps", wheel)
    process = cli(run, core_venv, "uninstall", "--venv", plain_venv.path)
    assert process.returncode == 1 and "installed by pip" in process.stderr, process.stderr
    assert run.probe(plain_venv, "urllib_request", intercept.url, **ca)[0] == "trusted"


def core_venv_version(run, venv):
    return run(venv, ["-c", "import sandbox_trust; print(sandbox_trust.__version__)"]).stdout.strip()


def test_install_rejects_a_directory_that_is_not_a_venv(run, core_venv, tmp_path):
    process = cli(run, core_venv, "install", "--venv", str(tmp_path))
    assert process.returncode == 1 and "not a virtual environment" in process.stderr


def test_no_command_is_a_usage_error(run, core_venv):
    process = cli(run, core_venv)
    assert process.returncode == 2 and "usage:" in process.stderr
