"""PEP 829: ``sandbox_trust.start`` (``_sandbox_trust_boot:start``) beside ``sandbox_trust.pth``.

Python 3.15 runs a ``.start`` file's entry points after all .pth paths are added, and skips the
import lines of the .pth of the same name; 3.14 and older ignore ``.start`` files. The wheel ships
only the .pth (docs/design.md, "The PEP 829 entry point": on 3.15 any ``.start`` file makes site
import pkgutil, about 70% of a bare start); the entry point is proven here for the Python that stops
running .pth import lines. Each case leaves the .pth, the .start or both in a venv of this
interpreter: sandbox-trust is active iff this version runs one of them, and then it boots exactly
once, trusts the CA, still rejects when opted out and for an unrelated CA, and an opted-out child
puts back what a parent exported.
"""

import os
import shutil
import sys

import pytest

from tests import harness
from tests.conftest import Venv

RUNS_START_FILES = sys.version_info >= (3, 15)
START_FILE = os.path.join(harness.SRC, "sandbox_trust.start")
CASES = {"pth only": ("pth",), "start only": ("start",), "both": ("pth", "start")}
DEBUG_START = "sandbox-trust: debug: CA %s: present"  # the first debug line of every boot()


def is_active(files):
    return "start" in files or "pth" in files if RUNS_START_FILES else "pth" in files


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A venv of this module's own, whose site-packages the cases change (not a shared cached one)."""
    path = str(tmp_path_factory.mktemp("start-file") / "venv")
    harness.new_venv(path, sys.executable)
    venv = Venv(path)
    venv.pip("install", "-q", wheel)
    return venv


@pytest.fixture(params=sorted(CASES))
def files(request, venv):
    pth = os.path.join(venv.site_packages, "sandbox_trust.pth")
    start = os.path.join(venv.site_packages, "sandbox_trust.start")
    saved = os.path.join(venv.path, "sandbox_trust.pth.saved")
    shutil.copy(pth, saved)
    wanted = CASES[request.param]
    if "pth" not in wanted:
        os.remove(pth)
    if "start" in wanted:
        shutil.copy(START_FILE, start)
    yield wanted
    if os.path.exists(start):
        os.remove(start)
    os.replace(saved, pth)


def test_trust(run, venv, files, trio):
    outcome, process = run.probe(venv, "urllib_request", trio.url, **trio.env)
    assert outcome == (trio.expected if is_active(files) else "rejected"), process.stdout + process.stderr


def test_boots_once(run, venv, files, intercept):
    state, process = run.script(
        venv, "start_state", SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DEBUG="1"
    )
    active = is_active(files)
    assert state["booted"] is active and state["finders"] == int(active), state
    assert (state["exported"] is not None) is active, state
    assert process.stderr.splitlines().count(DEBUG_START % intercept.ca_path) == int(active), process.stderr
    # What a .start file costs on 3.15: site imports pkgutil to resolve its entry points.
    assert state["pkgutil"] is (RUNS_START_FILES and "start" in files), state


@pytest.mark.skipif(not RUNS_START_FILES, reason="Python 3.15+ reads .start files")
def test_start_file_suppresses_the_pth_import_line(run, venv, files, intercept):
    process = run(venv, ["-v", "-c", "pass"], SANDBOX_CA_CERT=intercept.ca_path)
    suppressed = "are suppressed due to matching" in process.stderr
    assert suppressed is (files == ("pth", "start")), process.stderr[-3000:]


@pytest.mark.parametrize("before", [None, "/home/user/own.pem"])
def test_opted_out_child_puts_back_a_parents_exports(run, venv, files, tmp_path, before):
    boot = harness.load_boot()
    exported = str(tmp_path / "bundle.pem")
    env = {
        "SANDBOX_TRUST_DISABLE": "1",
        "SSL_CERT_FILE": exported,
        boot.RECORD_VARIABLE: boot.encode_record({"SSL_CERT_FILE": (before, exported)}),
    }
    state, _ = run.script(venv, "start_state", **env)
    assert state["exported"] == (before if is_active(files) else exported), state
    assert state["finders"] == 0, state
