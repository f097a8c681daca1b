"""``install --venv`` runs nothing another user controls (issue "Hardening III", 5).

Run as root (this suite's user) on a venv: every directory from ``/`` down to its site-packages must
be root's and not writable by others (the private cache's StrictModes rule), else the command
refuses in one line and writes nothing. Nothing of the target is executed: a ``.pth`` planted in
its site-packages (which any start of its interpreter runs, ``-I`` or not) would touch a marker
file; it never does, refused or installed. The twin: the same venv owned by root is installed into.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.hardening import ATTACKER, arena  # noqa: F401 - arena is a fixture

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the venv's owner is another uid")


def _venv(arena, marker):  # noqa: F811 - the fixture's value
    """A venv in ``arena`` whose site-packages holds a .pth that touches ``marker`` when run."""
    path = os.path.join(arena, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", path], check=True, capture_output=True)
    (site,) = [
        os.path.join(path, "lib", name, "site-packages") for name in os.listdir(os.path.join(path, "lib"))
    ]
    with open(os.path.join(site, "planted.pth"), "w") as f:
        f.write("import os; open(%r, 'w').close()\n" % marker)
    return path, site


def _install(run, core_venv, path):
    return run(core_venv, ["-m", "sandbox_trust", "install", "--venv", path])


def _refused(process):
    lines = process.stderr.splitlines()
    assert process.returncode == 1, process.stdout + process.stderr
    assert len(lines) == 1 and lines[0].startswith("sandbox-trust: install failed: refusing "), process.stderr
    return lines[0]


def test_a_venv_another_user_owns_is_refused_and_nothing_of_it_runs(run, core_venv, arena, tmp_path):  # noqa: F811
    marker = str(tmp_path / "ran")
    path, site = _venv(arena, marker)
    subprocess.run(["chown", "-R", "%d:%d" % (ATTACKER, ATTACKER), path], check=True)
    line = _refused(_install(run, core_venv, path))
    assert "owned by another user" in line, line
    assert not os.path.exists(marker), "the planted .pth ran as root"
    assert not [name for name in os.listdir(site) if "sandbox_trust" in name]


@pytest.mark.parametrize("where", ["venv", "lib", "site-packages"])
def test_a_venv_others_can_write_is_refused(run, core_venv, arena, tmp_path, where):  # noqa: F811
    marker = str(tmp_path / "ran")
    path, site = _venv(arena, marker)
    writable = {"venv": path, "lib": os.path.join(path, "lib"), "site-packages": site}[where]
    os.chmod(writable, 0o777)
    line = _refused(_install(run, core_venv, path))
    assert "writable by others" in line, line
    assert not os.path.exists(marker), "the planted .pth ran"
    assert not [name for name in os.listdir(site) if "sandbox_trust" in name]


def test_an_interpreter_another_user_swapped_in_is_never_run(run, core_venv, arena, tmp_path):  # noqa: F811
    """Even with the directories root's, the venv's bin/python is not executed: a script there would say so."""
    marker = str(tmp_path / "ran")
    path, site = _venv(arena, marker)
    python = os.path.join(path, "bin", "python")
    os.unlink(python)
    with open(python, "w") as f:
        f.write("#!/bin/sh\ntouch %s\nexit 1\n" % marker)
    os.chmod(python, 0o755)
    process = _install(run, core_venv, path)
    assert process.returncode == 0, process.stderr
    assert not os.path.exists(marker), "install ran the venv's interpreter"


def test_the_same_venv_owned_by_root_is_installed_without_running_its_pth(
    run,
    core_venv,
    arena,  # noqa: F811 - the fixture
    tmp_path,
    intercept,
):
    marker = str(tmp_path / "ran")
    path, site = _venv(arena, marker)
    process = _install(run, core_venv, path)
    assert process.returncode == 0, process.stderr
    assert site in process.stdout
    assert not os.path.exists(marker), "install ran the venv's site"
    assert os.path.exists(os.path.join(site, "sandbox_trust.pth"))
    # The copy works there (the twin of the refusals: the same venv, root's).
    os.unlink(os.path.join(site, "planted.pth"))
    python = os.path.join(path, "bin", "python")
    probe = run.command(
        [
            python,
            "-c",
            "import urllib.request; urllib.request.urlopen(%r, timeout=10).read(); print('ok')"
            % intercept.url,
        ],
        SANDBOX_CA_CERT=intercept.ca_path,
    )
    assert probe.stdout.strip() == "ok", probe.stderr
    shutil.rmtree(path)
