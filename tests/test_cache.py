"""The private bundle cache: safe under a cold-start stampede, refused when it is not private.

Merged bundles are what child processes (curl, git, node, ...) trust, so a bundle in a directory
someone else can write to would let them plant a CA. Every refusal is checked the hard way: a
bundle holding the unrelated CA is planted under exactly the index name the code looks up, and
must never be trusted, while in-process trust keeps working without any cache at all.
"""

import hashlib
import json
import os
import subprocess
import time

import pytest

from tests.conftest import scrubbed_env
from tests.harness import SYSTEM_BUNDLE, script

# Interpreters started at once on a cold cache: an empty private directory, and one not made yet.
STAMPEDE = {"empty": 40, "absent": 20}


@pytest.mark.parametrize("cache_state", STAMPEDE)
def test_cold_cache_stampede(run, core_venv, intercept, unrelated, tmp_path, cache_state):
    cache = tmp_path / "cache"
    if cache_state == "empty":
        cache.mkdir(mode=0o700)
    home = tmp_path / "home"  # made by the run fixture
    env = scrubbed_env(
        str(home),
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_CACHE_DIR=str(cache),
        SANDBOX_TRUST_DEBUG="1",
    )
    started = time.monotonic()
    children = [
        subprocess.Popen(
            [core_venv.python, script("stampede_child"), intercept.url, intercept.ca_path],
            env=env,
            cwd=str(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STAMPEDE[cache_state])
    ]
    results = [child.communicate(timeout=300) + (child.returncode,) for child in children]
    elapsed = time.monotonic() - started

    reports = []
    builders = 0
    for stdout, stderr, returncode in results:
        assert returncode == 0, stdout + stderr
        other = [line for line in stderr.splitlines() if not line.startswith("sandbox-trust: debug: ")]
        assert other == [], stderr
        builders += "debug: built bundle-" in stderr
        reports.append(json.loads(stdout))

    for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
        seen = {(r[name]["path"], r[name]["sha256"]) for r in reports}
        assert len(seen) == 1, seen  # every child exported the same, complete file
        ((path, digest),) = seen
        assert os.path.dirname(path) == str(cache)
        assert os.path.basename(path) == "bundle-%s.pem" % digest[:32]  # content-named: read == written
        for r in reports:
            assert r[name]["ends_with_ca"] and r[name]["begin"] == r[name]["end"] > 0, r[name]
    with open(reports[0]["SSL_CERT_FILE"]["path"], "rb") as f:
        merged = f.read()
    with open(SYSTEM_BUNDLE, "rb") as f:
        assert merged.startswith(f.read())  # the default roots, extended: never the CA alone

    names = sorted(os.listdir(cache))
    assert not [n for n in names if n.startswith(".tmp-")], names
    # system roots + CA; certifi's + CA (REQUESTS_CA_BUNDLE, AWS_CA_BUNDLE); the CA alone
    assert len([n for n in names if n.startswith("bundle-")]) == 3, names
    assert len([n for n in names if n.startswith("index-")]) == 3, names
    assert os.stat(cache).st_mode & 0o077 == 0
    print(
        "stampede %s: %d interpreters in %.1f s, %d built a bundle"
        % (cache_state, len(children), elapsed, builders)
    )

    # The bundles the stampede left: children (curl) trust the CA through them, and nothing else.
    env = dict(SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=str(cache))
    process = run(core_venv, [script("clients_and_curl"), intercept.url], **env)
    assert json.loads(process.stdout)["curl"] == "trusted", process.stdout + process.stderr
    process = run(core_venv, [script("clients_and_curl"), unrelated.url], **env)
    report = json.loads(process.stdout)
    assert (report["urllib"], report["requests"], report["curl"]) == ("rejected",) * 3, report
    after = os.listdir(cache)  # warm for these bases (requests adds one for certifi's cacert.pem)
    assert set(names) <= set(after) and not [n for n in after if n.startswith(".tmp-")], after
    opted_out = tmp_path / "opted-out-cache"
    process = run(
        core_venv,
        [script("clients_and_curl"), intercept.url],
        SANDBOX_TRUST_DISABLE="1",
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_CACHE_DIR=str(opted_out),
    )
    report = json.loads(process.stdout)
    assert (report["urllib"], report["requests"], report["curl"]) == ("rejected",) * 3, report
    assert not opted_out.exists()


# --- hostile cache directories -------------------------------------------------------------


def plant(run, venv, directory, ca_path, evil_pem):
    """Bundles holding ``evil_pem`` under the index names the code looks up for ``ca_path``."""
    report, _ = run.script(venv, "index_names", ca_path, SANDBOX_TRUST_DISABLE="1")
    planted = []
    for base, index in report["indexes"]:
        data = b""
        if base:
            with open(base, "rb") as f:
                data = f.read()
        data += evil_pem
        name = "bundle-%s.pem" % hashlib.sha256(data).hexdigest()[:32]
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        os.symlink(name, os.path.join(directory, index))
        planted.append(os.path.join(directory, name))
    return planted


def listing(directory):
    """Everything observable about a directory's entries (and itself), to prove nothing changed."""
    entries = {}
    for name in os.listdir(directory):
        st = os.lstat(os.path.join(directory, name))
        link = (
            os.readlink(os.path.join(directory, name))
            if os.path.islink(os.path.join(directory, name))
            else None
        )
        entries[name] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, link)
    st = os.stat(directory)
    return entries, (st.st_mode, st.st_uid, st.st_mtime_ns)


def _hostile(kind, tmp_path):
    """``(SANDBOX_TRUST_CACHE_DIR value, real directory)`` for one kind of hostile cache."""
    real = tmp_path / "cache"
    real.mkdir()
    if kind == "group-writable":
        os.chmod(real, 0o770)
    elif kind == "world-writable":
        os.chmod(real, 0o1777)  # like /tmp itself
    elif kind == "other-owner":
        if os.geteuid() != 0:
            pytest.skip("needs root to chown the cache to another user")
        os.chmod(real, 0o700)
    elif kind == "symlink":
        os.chmod(real, 0o700)
        link = tmp_path / "cache-link"
        link.symlink_to(real, target_is_directory=True)
        return str(link), str(real)
    return str(real), str(real)


HOSTILE = ["group-writable", "world-writable", "other-owner", "symlink"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_cache_is_refused(run, core_venv, intercept, unrelated, tmp_path, kind):
    configured, real = _hostile(kind, tmp_path)
    with open(unrelated.ca_path, "rb") as f:
        planted = plant(run, core_venv, real, intercept.ca_path, f.read())
    if kind == "other-owner":
        os.chown(real, 65534, 65534)  # nobody; root still writes there, the check must refuse it
    before = listing(real)
    env = dict(SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_CACHE_DIR=configured)

    process = run(core_venv, [script("clients_and_curl"), unrelated.url], **env)
    assert process.returncode == 0, process.stderr
    report = json.loads(process.stdout)
    assert (report["urllib"], report["requests"], report["curl"]) == ("rejected",) * 3, report
    stderr = process.stderr.splitlines()
    assert len(stderr) == 1 and stderr[0].startswith("sandbox-trust: refusing cache directory"), (
        process.stderr
    )
    for value in [report["certifi"], *report["environ"].values()]:
        assert value not in planted and not value.startswith((real, configured)), report

    # Positive twin: in-process trust does not need the cache.
    process = run(core_venv, [script("clients_and_curl"), intercept.url], **env)
    report = json.loads(process.stdout)
    assert (report["urllib"], report["requests"]) == ("trusted", "trusted"), report
    assert report["curl"] in ("trusted", "rejected"), report  # no export without a cache: curl's own roots
    assert len(process.stderr.splitlines()) == 1, process.stderr

    # Opted-out twin: nothing at all, not even the warning.
    process = run(core_venv, [script("clients_and_curl"), intercept.url], SANDBOX_TRUST_DISABLE="1", **env)
    report = json.loads(process.stdout)
    assert (report["urllib"], report["requests"], report["curl"]) == ("rejected",) * 3, report
    assert process.stderr == ""

    assert listing(real) == before  # nothing written, renamed or removed


def test_planted_index_names_are_the_ones_looked_up(run, core_venv, intercept, unrelated, tmp_path):
    """Control for the test above: the same plant in a private cache *is* followed, so the names are right."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    with open(intercept.ca_path, "rb") as f:
        planted = plant(run, core_venv, str(cache), intercept.ca_path, f.read())
    process = run(
        core_venv,
        [
            "-c",
            "import os, certifi; print(os.environ['SSL_CERT_FILE']); print(os.environ["
            "'NODE_EXTRA_CA_CERTS']); print(certifi.where())",
        ],
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_CACHE_DIR=str(cache),
    )
    assert process.returncode == 0 and process.stderr == "", process.stderr
    assert sorted(process.stdout.split()) == sorted(planted)


# --- no writable cache anywhere --------------------------------------------------------------

NO_CACHE_PROBES = (
    "urllib_request",
    "http_client",
    "create_default_context",
    "bare_sslcontext",
    "requests",
    "urllib3",
    "httpx",
    "aiohttp",
    "websockets",
)
NO_CACHE = {
    "no-home-no-tmp": dict(HOME="/nonexistent", TMPDIR="/proc"),
    "cache-dir-unusable": dict(
        HOME="/nonexistent", TMPDIR="/proc", SANDBOX_TRUST_CACHE_DIR="/proc/sandbox-trust"
    ),
}


@pytest.mark.parametrize("config", NO_CACHE)
@pytest.mark.parametrize("client", NO_CACHE_PROBES)
def test_no_writable_cache_keeps_in_process_trust(run, core_venv, intercept, unrelated, client, config):
    env = dict(NO_CACHE[config], SANDBOX_CA_CERT=intercept.ca_path)
    outcome, process = run.probe(core_venv, client, intercept.url, **env)
    assert outcome == "trusted", process.stdout + process.stderr
    assert len(process.stderr.splitlines()) <= 1, process.stderr
    outcome, process = run.probe(core_venv, client, unrelated.url, **env)
    assert outcome == "rejected", process.stdout + process.stderr
    if config == "no-home-no-tmp":
        outcome, process = run.probe(core_venv, client, intercept.url, SANDBOX_TRUST_DISABLE="1", **env)
        assert outcome == "rejected", process.stdout + process.stderr
