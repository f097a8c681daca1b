"""PEP 829: the wheel ships ``sandbox_trust.start`` (``_sandbox_trust_gate:start``) beside ``sandbox_trust.pth``.

Python 3.15 runs a ``.start`` file's entry points after all .pth paths are added, and skips the
import lines of the .pth of the same name; 3.14 and older ignore ``.start`` files. Both files start
the same gate (``_sandbox_trust_gate``), which imports the boot module only when there is something
to do. Each case leaves the installed wheel's .pth, its .start or both in a venv of this interpreter:
sandbox-trust is active iff this version runs one of them, and then it boots exactly once, trusts
the CA, still rejects when opted out and for an unrelated CA, and an opted-out child puts back what a
parent exported.
"""

import os
import sys

import pytest

from tests import harness
from tests.conftest import Venv

RUNS_START_FILES = sys.version_info >= (3, 15)
STARTUP_FILES = {"pth": "sandbox_trust.pth", "start": "sandbox_trust.start"}
CASES = {"as shipped": ("pth", "start"), "pth only": ("pth",), "start only": ("start",)}
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


@pytest.fixture(params=list(CASES))
def files(request, venv):
    """Removes the startup files the case leaves out, and puts them back afterwards."""
    wanted = CASES[request.param]
    saved = {}
    for kind, name in STARTUP_FILES.items():
        if kind not in wanted:
            saved[name] = os.path.join(venv.path, name + ".saved")
            os.replace(os.path.join(venv.site_packages, name), saved[name])
    yield wanted
    for name, path in saved.items():
        os.replace(path, os.path.join(venv.site_packages, name))


def test_the_wheel_ships_both_startup_files(venv):
    """As pip installed them: both name the gate, and pip's RECORD lists them (pip uninstall removes them)."""
    for name in (*STARTUP_FILES.values(), "_sandbox_trust_gate.py"):
        with (
            open(os.path.join(venv.site_packages, name)) as installed,
            open(os.path.join(harness.SRC, name)) as src,
        ):
            assert installed.read() == src.read(), name
    (record,) = [
        os.path.join(venv.site_packages, entry, "RECORD")
        for entry in os.listdir(venv.site_packages)
        if entry.startswith("sandbox_trust-") and entry.endswith(".dist-info")
    ]
    with open(record) as f:
        listed = {line.split(",", 1)[0] for line in f}
    assert {*STARTUP_FILES.values(), "_sandbox_trust_gate.py", "_sandbox_trust_boot.py"} <= listed


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


def test_nothing_to_do_imports_only_the_gate(run, venv, files, tmp_path):
    state, _ = run.script(venv, "start_state", SANDBOX_CA_CERT=str(tmp_path / "absent.pem"))
    active = is_active(files)
    assert (state["gate"], state["boot_module"], state["finders"]) == (active, False, 0), state


@pytest.mark.skipif(not RUNS_START_FILES, reason="Python 3.15+ reads .start files")
def test_start_file_suppresses_the_pth_import_line(run, venv, files, intercept):
    process = run(venv, ["-v", "-c", "pass"], SANDBOX_CA_CERT=intercept.ca_path)
    suppressed = "are suppressed due to matching" in process.stderr
    assert suppressed is (files == ("pth", "start")), process.stderr[-3000:]
    entry_point = "Executing entry point: _sandbox_trust_gate:start" in process.stderr
    assert entry_point is ("start" in files), process.stderr[-3000:]


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
    # Without a parent's record, opted out imports the gate only (when active), never the boot module.
    state, _ = run.script(venv, "start_state", SANDBOX_TRUST_DISABLE="1", SSL_CERT_FILE=exported)
    assert (state["exported"], state["gate"], state["boot_module"]) == (exported, is_active(files), False), (
        state
    )
