"""Helpers shared by the hardening test modules (issue "Hardening II"): probes, users, arenas."""

import os
import shutil
import subprocess
import tempfile

import pytest

from tests import harness

PROBES = harness.script("hardening_probes")
ATTACKER = 1001  # another local user: no passwd entry needed for setpriv or chown
STRANGER = 4242  # a user with no passwd entry at all: no home


def probe(run, venv, *args, timeout=60, **env):
    """Run ``tests/scripts/hardening_probes.py ARGS`` in ``venv``: ``(the JSON it printed, process)``."""
    return run.script(venv, "hardening_probes", *args, timeout=timeout, **env)


def stderr_lines(process):
    """stderr without the fork DeprecationWarning of Python 3.12+ (the test forks on purpose)."""
    lines = process.stderr.splitlines()
    return [line for line in lines if "DeprecationWarning" not in line and not line.startswith((" ", "\t"))]


def assert_quiet(process, lines=1, contains=None):
    """At most ``lines`` stderr lines, each one of ours, none a traceback; ``contains`` in them."""
    found = stderr_lines(process)
    assert "Traceback" not in process.stderr, process.stderr
    assert len(found) <= lines, process.stderr
    assert all(line.startswith("sandbox-trust: ") for line in found), process.stderr
    if contains is not None:
        assert any(contains in line for line in found), process.stderr
    return found


def as_user(uid, *command, check=True):
    """Run ``command`` as ``uid`` (group ``uid``, no other groups): a real second user."""
    prefix = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]
    return subprocess.run(prefix + list(command), check=check, capture_output=True, text=True)


@pytest.fixture
def arena():
    """A root-owned 0755 directory under /tmp that other users can traverse (pytest's are 0700)."""
    path = tempfile.mkdtemp(prefix="sandbox-trust-hardening-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def readable_copy(path, directory):
    """A copy of ``path`` in ``directory`` that any user can read (for runs as another user)."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, os.path.basename(path))
    shutil.copy(path, target)
    os.chmod(target, 0o644)
    return target


def curl(url, env):
    """curl alone, with exactly ``env``: what a child of the tested process does with its variables."""
    process = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    if process.returncode == 60:
        return "rejected"
    if process.returncode == 0 and process.stdout == "ok":
        return "trusted"
    return "error: curl exited %d: %s" % (process.returncode, process.stderr.strip())
