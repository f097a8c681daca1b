"""Deno children of a Python process: ``DENO_CERT`` adds the CA to Deno's own roots.

Deno's binary comes from the npm registry (package ``deno``, whose optional dependency
``@deno/linux-x64-glibc`` carries it), installed with npm (Debian's, when missing) once per machine
into the tests' work directory.
"""

import fcntl
import os
import shutil
import subprocess

import pytest

from tests.conftest import WORK
from tests.harness import install_env
from tests.runtimes import debian_tool

DENO_VERSION = "2"  # the major version the probe's script is written for


@pytest.fixture(scope="module")
def deno():
    prefix = os.path.join(WORK, "deno-%s" % DENO_VERSION)
    binary = os.path.join(prefix, "node_modules", ".bin", "deno")
    npm = shutil.which("npm") or (None if os.path.exists(binary) else debian_tool("npm", "npm"))
    os.makedirs(WORK, exist_ok=True)
    with open(prefix + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(binary):
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-save",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    prefix,
                    "deno@" + DENO_VERSION,
                ],
                check=True,
                capture_output=True,
                env=install_env(),
            )
    return binary


def test_deno_child_trusts_the_injected_ca_and_only_it(run, core_venv, deno, trio):
    outcome, process = run.probe(
        core_venv, "child_deno", trio.url, PROBE_DENO=deno, DENO_NO_UPDATE_CHECK="1", **trio.env
    )
    trio.check(outcome, process)


def test_deno_without_the_package_rejects(run, make_venv, deno, intercept):
    """The same probe in a venv without sandbox-trust: nothing exports DENO_CERT."""
    bare = make_venv(with_package=False)
    outcome, process = run.probe(
        bare,
        "child_deno",
        intercept.url,
        PROBE_DENO=deno,
        DENO_NO_UPDATE_CHECK="1",
        SANDBOX_CA_CERT=intercept.ca_path,
    )
    assert outcome == "rejected", process.stdout + process.stderr


def test_a_users_deno_cert_is_extended(run, core_venv, deno, intercept, private):
    """DENO_CERT=their CA: their origin and the interceptor both trusted in the child."""
    env = dict(
        PROBE_DENO=deno,
        DENO_NO_UPDATE_CHECK="1",
        SANDBOX_CA_CERT=intercept.ca_path,
        DENO_CERT=private.ca_path,
    )
    for url in (intercept.url, private.url):
        outcome, process = run.probe(core_venv, "child_deno", url, **env)
        assert outcome == "trusted", process.stdout + process.stderr
