"""Every patch is the expected object while applied, idempotent, and reverts to the exact original.

One generic check (tests/scripts/patch_cycle.py) walks a patch module through apply and revert
twice and compares every patched attribute by identity; originals are also compared by description
against an opted-out interpreter (which never patched).
"""

import os
import shutil

import pytest

from tests.conftest import assert_patch_cycle

PATCHES = ("ssl_context", "certifi_bundle", "requests_session")


@pytest.mark.parametrize("patch", PATCHES)
def test_patch_identity_and_reversal(run, core_venv, intercept, patch):
    assert_patch_cycle(run, core_venv, intercept.ca_path, patch)


# --- a damaged install: the package cannot load when a target is imported -----------------------

DAMAGED_IMPORT = "import ssl; ssl.create_default_context(); print('imported')"


def test_a_package_that_cannot_load_leaves_targets_importable(run, core_venv, intercept, tmp_path):
    """The start-up modules are there, the package is not (shadowed here by one that raises): the
    hook's target half and the error report are in the package, yet ``import ssl`` still works and
    one line says why it is not patched."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path}
    warm = run(core_venv, ["-c", DAMAGED_IMPORT], **env)  # the bundle cache, so start needs no package
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, "imported\n", "")
    damaged = tmp_path / "damaged" / "sandbox_trust"
    damaged.mkdir(parents=True)
    (damaged / "__init__.py").write_text("raise ImportError('damaged install')\n")
    process = run(core_venv, ["-c", DAMAGED_IMPORT], PYTHONPATH=str(damaged.parent), **env)
    assert (process.returncode, process.stdout) == (0, "imported\n"), process.stderr
    assert process.stderr == "sandbox-trust: internal error in patching ssl: ImportError: damaged install\n"


# --- a .pth processed twice (design.md, known trap 5) ------------------------------------------


@pytest.fixture(scope="module")
def twice_venv(make_venv):
    """A dedicated venv (unique requirement spelling: the cache is shared) with the .pth twice."""
    venv = make_venv("certifi>=2017.4.17")
    again = os.path.join(venv.site_packages, "zz_again.pth")
    shutil.copy(os.path.join(venv.site_packages, "sandbox_trust.pth"), again)
    yield venv
    os.unlink(again)


def test_pth_processed_twice_installs_once(run, twice_venv, intercept):
    pth = os.path.join(twice_venv.site_packages, "zz_again.pth")
    out, process = run.script(
        twice_venv, "pth_twice", pth, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DEBUG="1"
    )
    assert out == {
        "finders": 1,
        "patched": True,
        "finders_after_copy": 1,
        "patched_after_copy": True,
        "copy_booted": True,
        "has_ca": True,
    }
    debug = process.stderr.splitlines()
    assert sum("import hook installed" in line for line in debug) == 1, process.stderr
    assert sum("patched ssl.SSLContext" in line for line in debug) == 1, process.stderr
    assert sum("import hook already installed" in line for line in debug) == 1, process.stderr


def test_pth_processed_twice_still_trusts_and_rejects(run, twice_venv, intercept, unrelated):
    outcome, process = run.probe(
        twice_venv, "urllib_request", intercept.url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert (outcome, process.stderr) == ("trusted", "")
    outcome, process = run.probe(
        twice_venv, "urllib_request", unrelated.url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "rejected", process.stdout + process.stderr
