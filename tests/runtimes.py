"""What the runtime tests (Chromium, Java, Deno) share: their tools, installed when missing.

CI runs as root on Debian: a missing tool is installed from Debian (apt-get) or npm there, once per
machine; elsewhere its tests are skipped, naming what to install.
"""

import fcntl
import os
import shutil
import subprocess
import tempfile

import pytest

from tests.harness import install_env

_LOCK = os.path.join(tempfile.gettempdir(), "sandbox-trust-tests-apt.lock")


def debian_tool(command, package):
    """The path of ``command``, from Debian's ``package`` installed now if it is missing (as root)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            "needs %s (Debian: apt-get install %s), and only root may install it" % (command, package)
        )
    with open(_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two suites at once must not race for dpkg's lock
        if not shutil.which(command):
            env = dict(install_env(), DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                check=True,
                env=env,
                capture_output=True,
            )
    found = shutil.which(command)
    assert found, "apt-get installed %s but %s is still not on PATH" % (package, command)
    return found
