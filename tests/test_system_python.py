"""Debian's own /usr/bin/python3 (dist-packages, PEP 668): the supported install paths.

1. A venv made from the system interpreter (`python3 -m venv`): the ordinary path.
2. The user site (`pip install --user --break-system-packages`), processed by site like
   dist-packages; used here because it is the one system-interpreter install a test can make
   without changing the machine. Installing into /usr/local/lib/python3.X/dist-packages with
   `--break-system-packages` is the same mechanism (site processes .pth files in both).
"""

import os
import subprocess

import pytest

from tests.conftest import scrubbed_env
from tests.harness import PROBES, install_env, last_json

SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(not os.path.exists(SYSTEM_PYTHON), reason="no Debian system python here")


@pytest.fixture(scope="module")
def system_venv(make_venv):
    return make_venv("requests", python=SYSTEM_PYTHON)


@pytest.mark.parametrize("client", ("urllib_request", "requests"))
def test_venv_of_the_system_python(run, system_venv, trio, client):
    outcome, process = run.probe(system_venv, client, trio.url, **trio.env)
    trio.check(outcome, process)


@pytest.fixture(scope="module")
def user_site_home(wheel, tmp_path_factory):
    """A HOME whose user site holds sandbox-trust, installed by the system interpreter's pip."""
    home = str(tmp_path_factory.mktemp("debian-home"))
    env = install_env()
    env["HOME"] = home
    env.pop("PYTHONUSERBASE", None)
    installed = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-m",
            "pip",
            "install",
            "-q",
            "--user",
            "--break-system-packages",
            "--no-deps",
            wheel,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if installed.returncode != 0:
        pytest.skip("the system interpreter's pip cannot install here: " + installed.stderr[-300:])
    return home


def _system_probe(home, url, **env):
    process = subprocess.run(
        [SYSTEM_PYTHON, PROBES, "urllib_request", url],
        capture_output=True,
        text=True,
        timeout=60,
        env=scrubbed_env(home, **env),
        cwd=home,
    )
    assert process.returncode == 0, process.stderr
    return last_json(process.stdout)["outcome"], process


def test_user_site_of_the_system_python(user_site_home, trio):
    outcome, process = _system_probe(user_site_home, trio.url, **trio.env)
    trio.check(outcome, process, quiet=True)
