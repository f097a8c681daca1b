"""Every patch is the expected object while applied, idempotent, and reverts to the exact original.

One generic check (tests/scripts/patch_cycle.py) walks a patch module through apply and revert
twice and compares every patched attribute by identity; originals are also compared by description
against an opted-out interpreter (which never patched).
"""

import os
import shutil

import pytest

PATCHES = ("ssl_context", "certifi_bundle", "requests_session")


def _cycle(run, venv, ca_path, patch, **env):
    # No exported variables: what a context trusts then depends on the patches alone.
    report, process = run.script(
        venv, "patch_cycle", patch, SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_EXPORT_ENV="0", **env
    )
    assert process.stderr == ""
    return report


def assert_patch_cycle(run, venv, ca_path, patch):
    """The generic revert check, for any patch module whose targets ``venv`` has."""
    opted_out = _cycle(run, venv, ca_path, patch, SANDBOX_TRUST_DISABLE="1")
    active = _cycle(run, venv, ca_path, patch)
    if not active["targets"]:  # this version of the library needs no patch: it must replace nothing
        assert opted_out["declared_is_table"] and active["declared_is_table"], (opted_out, active)
        return
    assert not opted_out["patched_at_import"] and opted_out["revert_kept_import_state"], opted_out
    assert active["patched_at_import"], active
    # Reverted in the active interpreter: what the opted-out one had all along.
    assert active["original"] == opted_out["original"]
    assert active["original_aliases"] == opted_out["original_aliases"]
    for report in (opted_out, active):
        assert report["declared_is_table"], "the patch replaces other attributes than patch_cycle.TARGETS"
        for step in ("applied", "applied_twice", "reverted", "reverted_twice", "reapplied", "reverted_again"):
            assert report[step], (step, report)
    if opted_out["has_ca_at_import"] is not None:  # the patches that change what is trusted
        observed = (
            opted_out["has_ca_at_import"],
            active["has_ca_at_import"],
            active["has_ca_reverted"],
            active["has_ca_applied"],
        )
        assert observed == (False, True, False, True)


@pytest.mark.parametrize("patch", PATCHES)
def test_patch_identity_and_reversal(run, core_venv, intercept, patch):
    assert_patch_cycle(run, core_venv, intercept.ca_path, patch)


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
