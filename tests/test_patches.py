"""Every patch is the expected object while applied, idempotent, and reverts to the exact original.

Originals are compared by description against an opted-out interpreter (which never patched), and
by identity in-process where the original is reachable without the patch module.
"""

import json
import os
import shutil

import pytest

# Shared by the child scripts: a stable description of whatever a class or module attribute holds.
DESCRIBE = """
import json, sys
MISSING = object()
def describe(obj):
    if obj is MISSING:
        return "missing"
    code = getattr(obj, "__code__", None)
    if code is not None:
        return "%s:%s:%d" % (obj.__qualname__, code.co_filename, code.co_firstlineno)
    return repr(obj)
"""

SSL_CONTEXT = (
    DESCRIBE
    + """
import ssl, _ssl
NAMES = ("set_default_verify_paths", "load_default_certs", "load_verify_locations")
der = ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())
def state():
    return {name: describe(ssl.SSLContext.__dict__.get(name, MISSING)) for name in NAMES}
def has_ca():
    return der in ssl.create_default_context().get_ca_certs(binary_form=True)
if sys.argv[2] == "baseline":
    print(json.dumps({"state": state(), "has_ca": has_ca()}))
    raise SystemExit
from sandbox_trust.patches import ssl_context as patch
def is_patched():
    return all(ssl.SSLContext.__dict__.get(name) is getattr(patch, name) for name in NAMES)
out = {"patched": is_patched(), "patched_has_ca": has_ca()}
patch.apply()
out["applied_twice"] = is_patched()
patch.revert()
out["reverted"] = state()
out["reverted_has_ca"] = has_ca()
out["inherited_again"] = all(
    getattr(ssl.SSLContext, name) is getattr(_ssl._SSLContext, name)
    for name in NAMES if name not in ssl.SSLContext.__dict__)
patch.revert()
out["reverted_twice"] = state()
patch.apply(); patch.apply()
out["reapplied"] = is_patched() and has_ca()
patch.revert()
out["reverted_again"] = state()
print(json.dumps(out))
"""
)

CERTIFI = (
    DESCRIBE
    + """
import certifi, certifi.core
NAMES = ("where", "contents")
der_line = open(sys.argv[1]).read().splitlines()[1]
def state():
    modules = (certifi, certifi.core)
    return {"%s.%s" % (m.__name__, n): describe(getattr(m, n)) for m in modules for n in NAMES}
def has_ca():
    return der_line in open(certifi.where()).read() and der_line in certifi.contents()
if sys.argv[2] == "baseline":
    print(json.dumps({"state": state(), "has_ca": has_ca()}))
    raise SystemExit
from sandbox_trust.patches import certifi_bundle as patch
def is_patched():
    return all(getattr(m, n) is getattr(patch, n) for m in (certifi, certifi.core) for n in NAMES)
out = {"patched": is_patched(), "patched_has_ca": has_ca()}
patch.apply()
out["applied_twice"] = is_patched()
patch.revert()
out["reverted"] = state()
out["reverted_has_ca"] = has_ca()
out["inherited_again"] = certifi.where is certifi.core.where and certifi.contents is certifi.core.contents
patch.revert()
out["reverted_twice"] = state()
patch.apply(); patch.apply()
out["reapplied"] = is_patched() and has_ca()
patch.revert()
out["reverted_again"] = state()
print(json.dumps(out))
"""
)

REQUESTS_SESSION = (
    DESCRIBE
    + """
import requests, requests.sessions
NAME = "merge_environment_settings"
Session = requests.sessions.Session
def state():
    return {NAME: describe(Session.__dict__.get(NAME, MISSING))}
if sys.argv[2] == "baseline":
    print(json.dumps({"state": state()}))
    raise SystemExit
from sandbox_trust.patches import requests_session as patch
def is_patched():
    return Session.__dict__.get(NAME) is patch.merge_environment_settings
out = {"patched": is_patched()}
patch.apply()
out["applied_twice"] = is_patched()
patch.revert()
out["reverted"] = state()
out["inherited_again"] = Session.__dict__.get(NAME) is patch._original[NAME]
patch.revert()
out["reverted_twice"] = state()
patch.apply(); patch.apply()
out["reapplied"] = is_patched()
patch.revert()
out["reverted_again"] = state()
print(json.dumps(out))
"""
)

SCRIPTS = {"ssl_context": SSL_CONTEXT, "certifi_bundle": CERTIFI, "requests_session": REQUESTS_SESSION}


def _run_script(run, venv, script, ca_path, mode, **env):
    # No exported variables: what a context trusts then depends on the patches alone.
    process = run(
        venv, ("-c", script, ca_path, mode), SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_EXPORT_ENV="0", **env
    )
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    return json.loads(process.stdout)


@pytest.mark.parametrize("patch", SCRIPTS)
def test_patch_identity_and_reversal(run, core_venv, intercept, patch):
    baseline = _run_script(
        run, core_venv, SCRIPTS[patch], intercept.ca_path, "baseline", SANDBOX_TRUST_DISABLE="1"
    )
    out = _run_script(run, core_venv, SCRIPTS[patch], intercept.ca_path, "patched")
    assert out["patched"]
    assert out["applied_twice"]
    assert out["reverted"] == baseline["state"]
    if "has_ca" in baseline:  # the patches that change what is trusted: checked by behaviour too
        assert (baseline["has_ca"], out["patched_has_ca"], out["reverted_has_ca"]) == (False, True, False)
    assert out["inherited_again"]
    assert out["reverted_twice"] == baseline["state"]
    assert out["reapplied"]
    assert out["reverted_again"] == baseline["state"]


# --- a .pth processed twice (trust-matrix trap 5) -----------------------------------------------

TWICE = """
import json, os, ssl, sys
from sandbox_trust.patches import ssl_context
def finders():
    return sum(bool(getattr(f, "is_sandbox_trust_finder", False)) for f in sys.meta_path)
out = {"finders": finders(), "patched": ssl_context.is_applied()}
# A second *copy* of the boot module (another install's .pth line): still one finder, one patch.
del sys.modules["_sandbox_trust_boot"]
with open(sys.argv[1]) as f:
    exec(f.read())
out["finders_after_copy"] = finders()
out["patched_after_copy"] = ssl_context.is_applied()
der = ssl.PEM_cert_to_DER_cert(open(os.environ["SANDBOX_CA_CERT"]).read())
out["has_ca"] = der in ssl.create_default_context().get_ca_certs(binary_form=True)
print(json.dumps(out))
"""


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
    process = run(twice_venv, ("-c", TWICE, pth), SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DEBUG="1")
    assert process.returncode == 0, process.stderr
    out = json.loads(process.stdout)
    assert out == {
        "finders": 1,
        "patched": True,
        "finders_after_copy": 1,
        "patched_after_copy": True,
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
