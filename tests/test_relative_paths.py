"""Exported paths are absolute: a relative location would name another file after a ``chdir``.

Each case starts with one location variable relative (or no home at all), then changes to a
working directory of someone else's choosing before its clients run: every exported variable
must still be absolute, curl (a child) must still trust the CA through it and reject the
unrelated origin. A relative SANDBOX_CA_CERT is refused with one line: after a ``chdir`` it
would name whatever file sits in the new directory.
"""

import json
import os
import pwd
import shutil
import subprocess

import pytest

from tests.conftest import CORE_CLIENTS
from tests.hardening import PROBES, STRANGER, arena, assert_quiet, probe, readable_copy  # noqa: F401
from tests.harness import scrubbed_env

# The user with no home caches in /tmp/sandbox-trust-<uid>: a uid of this run's own (still without a
# passwd entry), so that two suites running at once do not remove each other's cache.
NO_HOME_UID = STRANGER * 10 + os.getpid() % 10000

CASES = {
    "relative HOME": {"HOME": "home"},
    "relative XDG_CACHE_HOME": {"XDG_CACHE_HOME": "cache"},
    "relative HOME and TMPDIR": {"HOME": "home", "TMPDIR": "tmp"},
    "relative SANDBOX_TRUST_CACHE_DIR": {"SANDBOX_TRUST_CACHE_DIR": "cache"},
    "dot-relative HOME": {"HOME": "./home"},
}
LINES = {"relative SANDBOX_TRUST_CACHE_DIR": "ignoring SANDBOX_TRUST_CACHE_DIR=cache: not an absolute path"}


def _check_exports(report, url_trusted, url_rejected):
    exported = {name: value for name, value in report["environ"].items() if value}
    assert exported, report  # the default locations still give a cache
    for name, value in exported.items():
        for path in value.split(os.pathsep):
            assert os.path.isabs(path) and os.path.exists(path), (name, value)
    assert report[url_trusted] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, report
    assert report[url_rejected] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, report


@pytest.mark.parametrize("case", CASES)
def test_relative_locations_export_absolute_paths(run, core_venv, intercept, unrelated, tmp_path, case):
    elsewhere = tmp_path / "elsewhere"  # the directory the program moves to after start
    for name in ("home", "cache", "tmp"):
        (elsewhere / name).mkdir(parents=True)
    env = dict(CASES[case], SANDBOX_CA_CERT=intercept.ca_path)
    args = ("report", "--chdir", str(elsewhere), intercept.url, unrelated.url)
    report, process = probe(run, core_venv, *args, **env)
    assert_quiet(process, lines=1 if case in LINES else 0, contains=LINES.get(case))
    _check_exports(report, intercept.url, unrelated.url)


def _runs_as_stranger(python):
    command = [
        "setpriv",
        "--reuid=%d" % NO_HOME_UID,
        "--regid=%d" % NO_HOME_UID,
        "--clear-groups",
        python,
        "-c",
        "pass",
    ]
    return subprocess.run(command, env=scrubbed_env("/"), cwd="/", capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def stranger_venv(core_venv, make_venv):
    """``core_venv``, if another user can run its interpreter; else the same venv over the system's.

    pyenv keeps its interpreters under ``~/.pyenv``; where that is /root (0700), a second uid
    cannot load them, so this one test runs in the system Python (the behaviour it checks is
    the package's, the same on every version), rather than not at all.
    """
    if _runs_as_stranger(core_venv.python):
        return core_venv
    system = "/usr/bin/python3"
    assert _runs_as_stranger(system), "no interpreter another user can run: %s" % system
    return make_venv(*CORE_CLIENTS, python=system)


def test_no_home_at_all(stranger_venv, intercept, unrelated, arena):  # noqa: F811
    """A user with no passwd entry and no HOME: ``~`` stays ``~``; the cache goes to /tmp."""
    with pytest.raises(KeyError):
        pwd.getpwuid(NO_HOME_UID)
    ca_path = readable_copy(intercept.ca_path, os.path.join(arena, "ca"))
    env = scrubbed_env("unused", SANDBOX_CA_CERT=ca_path)
    del env["HOME"]
    command = ["setpriv", "--reuid=%d" % NO_HOME_UID, "--regid=%d" % NO_HOME_UID, "--clear-groups"]
    command += [stranger_venv.python, PROBES, "report", "--chdir", "/", intercept.url, unrelated.url]
    cache = "/tmp/sandbox-trust-%d" % NO_HOME_UID
    try:
        process = subprocess.run(command, env=env, cwd=arena, capture_output=True, text=True, timeout=120)
        assert process.returncode == 0, process.stderr
        assert_quiet(process, lines=0)
        report = json.loads(process.stdout.splitlines()[-1])
        _check_exports(report, intercept.url, unrelated.url)
        assert os.path.dirname(report["environ"]["SSL_CERT_FILE"]) == cache
    finally:
        shutil.rmtree(cache, ignore_errors=True)


@pytest.mark.parametrize("spelling", ["ca.pem", "./ca.pem", "sub/../ca.pem"])
def test_relative_ca_path_is_refused(run, core_venv, intercept, spelling):
    """The CA named relative to the start directory is not trusted (nor exported), with one line."""
    shutil.copy(intercept.ca_path, os.path.join(run.home, "ca.pem"))
    os.makedirs(os.path.join(run.home, "sub"), exist_ok=True)
    for declared in ({}, {"SANDBOX_INTERCEPT_HTTPS": "1"}):
        report, process = probe(run, core_venv, "report", intercept.url, SANDBOX_CA_CERT=spelling, **declared)
        assert_quiet(
            process, lines=1, contains="ignoring SANDBOX_CA_CERT=%s: not an absolute path" % spelling
        )
        assert report[intercept.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, (
            report
        )
        assert not any(report["environ"].values()), report
    # The twin: the same file, named absolutely, is trusted.
    report, process = probe(
        run, core_venv, "report", intercept.url, SANDBOX_CA_CERT=os.path.join(run.home, "ca.pem")
    )
    assert_quiet(process, lines=0)
    assert report[intercept.url] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, report
