"""Interpreter start: nothing beyond the gate, os and sys is imported, nothing is printed."""

import ast
import os
import sys

import pytest

SHOW_MODULES = ("-c", "import sys; print(sorted(sys.modules))")
# Modules too heavy to import at every start; the set difference below catches the rest.
HEAVY = ("ssl", "_ssl", "threading", "certifi", "importlib.util", "hashlib", "pathlib")


@pytest.fixture(scope="module")
def venv(make_venv):
    return make_venv()


@pytest.fixture(scope="module")
def bare_venv(make_venv):
    """The same interpreter and dependencies, without sandbox-trust but with a comment-only .pth and
    a .start naming an empty module's no-op.

    Those files are the floor: on 3.13+, site decodes every non-empty .pth with utf-8-sig, so any .pth
    (setuptools' included, absent from 3.13 venvs) brings encodings.utf_8_sig; on 3.15, site resolves
    any .start entry point with pkgutil (which imports collections, functools, importlib.util, re,
    ...). Neither is ours; 3.14 and older ignore the .start.
    """
    venv = make_venv(with_package=False)
    with open(os.path.join(venv.site_packages, "zz_floor.pth"), "w") as f:
        f.write("# the floor: what site costs for any .pth file\n")
    with open(os.path.join(venv.site_packages, "zz_floor.start"), "w") as f:
        f.write("_zz_floor:start\n")
    with open(os.path.join(venv.site_packages, "_zz_floor.py"), "w") as f:
        f.write("def start():\n    pass\n")
    return venv


GATE, BOOT = "_sandbox_trust_gate", "_sandbox_trust_boot"
# The venvs' interpreter is the one running the tests.
BUILT_IN_POSIXSUBPROCESS = {"_posixsubprocess"} & set(sys.builtin_module_names)


def _scenarios(ca_path, missing):
    return {
        "ca-present": ({"SANDBOX_CA_CERT": ca_path}, {GATE, BOOT}),
        "ca-present-no-export": ({"SANDBOX_CA_CERT": ca_path, "SANDBOX_TRUST_EXPORT_ENV": "0"}, {GATE, BOOT}),
        # A child started before the CA lands must wait for it: the start primitives are wrapped.
        # And _posixsubprocess where it is built in (Debian's 3.14/3.15): the hook cannot see it load.
        "declared-not-landed": (
            {"SANDBOX_CA_CERT": missing, "SANDBOX_INTERCEPT_HTTPS": "1"},
            {GATE, BOOT, "sandbox_trust", "sandbox_trust._children"} | BUILT_IN_POSIXSUBPROCESS,
        ),
        "nothing-to-do": ({"SANDBOX_CA_CERT": missing}, {GATE}),
        "opted-out": ({"SANDBOX_CA_CERT": ca_path, "SANDBOX_TRUST_DISABLE": "1"}, {GATE}),
    }


SCENARIOS = ("ca-present", "ca-present-no-export", "declared-not-landed", "nothing-to-do", "opted-out")


def _modules(run, venv, env):
    process = run(venv, SHOW_MODULES, **env)
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    return set(ast.literal_eval(process.stdout))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_start_imports_nothing_new(run, venv, bare_venv, intercept, tmp_path, scenario):
    env, allowed = _scenarios(intercept.ca_path, str(tmp_path / "absent.pem"))[scenario]
    baseline = _modules(run, bare_venv, env)
    _modules(run, venv, env)  # the first start may build the merged bundles (cold cache)
    warm = _modules(run, venv, env)
    assert warm - baseline == allowed
    assert not (warm - baseline) & set(HEAVY)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_start_prints_nothing(run, venv, intercept, tmp_path, scenario):
    env, _ = _scenarios(intercept.ca_path, str(tmp_path / "absent.pem"))[scenario]
    for start in ("cold", "warm"):
        process = run(venv, ("-c", "pass"), **env)
        assert (start, process.returncode, process.stdout, process.stderr) == (start, 0, "", "")


def test_the_mode_masks_are_stats_own():
    """The boot module spells stat's constants as values (importing names costs at every start)."""
    import stat

    from tests.harness import load_boot

    boot = load_boot()
    assert boot._SHARED == stat.S_IWGRP | stat.S_IWOTH
    assert boot._STICKY == stat.S_ISVTX
    assert (boot._FILE_TYPE, boot._REGULAR) == (stat.S_IFMT(0o177777), stat.S_IFREG)
