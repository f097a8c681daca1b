"""pycurl: an app's own CAINFO/CAPATH counts as its choice however it is set.

``setopt_string``, ``setopt`` with the option as a plain number, and a ``duphandle()`` whose
copy gets its trust afterwards: the app's CA (the unrelated one) is trusted, and the
interceptor's is *not* added to it. Twin: a handle the app left alone trusts the CA (and
rejects the unrelated origin).
"""

import shutil
import subprocess

import pytest

from tests.hardening import assert_quiet, probe

APP_TRUST = (
    "setopt_string-capath",
    "setopt_string-cainfo",
    "setopt-capath-by-number",
    "duphandle-then-setopt_string-capath",
)


@pytest.fixture(scope="module")
def pycurl_venv(make_venv):
    return make_venv("pycurl")


@pytest.fixture(scope="module")
def unrelated_ca_dir(unrelated, tmp_path_factory):
    directory = tmp_path_factory.mktemp("capath")
    shutil.copy(unrelated.ca_path, directory / "unrelated.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True)
    return str(directory)


def _pycurl(run, venv, variant, origin, intercept, unrelated, ca_dir):
    result, process = probe(
        run,
        venv,
        "pycurl",
        variant,
        origin.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        PROBE_CA_DIR=ca_dir,
        PROBE_CA_BUNDLE=unrelated.ca_path,
    )
    assert_quiet(process, lines=0)
    return result["outcome"]


@pytest.mark.parametrize("variant", APP_TRUST)
def test_app_trust_wins(run, pycurl_venv, intercept, unrelated, unrelated_ca_dir, variant):
    args = (intercept, unrelated, unrelated_ca_dir)
    assert _pycurl(run, pycurl_venv, variant, unrelated, *args) == "trusted"
    assert _pycurl(run, pycurl_venv, variant, intercept, *args) == "rejected"


def test_default_handle_trusts_the_ca(run, pycurl_venv, intercept, unrelated, unrelated_ca_dir):
    args = (intercept, unrelated, unrelated_ca_dir)
    assert _pycurl(run, pycurl_venv, "default", intercept, *args) == "trusted"
    assert _pycurl(run, pycurl_venv, "default", unrelated, *args) == "rejected"
