"""Child processes of a Python process with sandbox-trust active inherit its exported variables.

The child (curl, git, node) gets ``os.environ`` as the Python process has it after start. Also: a
user's own CA variables keep their private CA trusted, an app's ``Session.verify`` keeps working
(design.md, known trap 4), and every "replace" variable points at a bundle that still holds the system roots.
"""

import shutil
import subprocess

import pytest

from tests.harness import SYSTEM_BUNDLE

CHILD_PROBES = ("child_curl", "child_git", "child_node")
PEM_BEGIN, PEM_END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


@pytest.fixture(scope="module")
def private_dir(private, tmp_path_factory):
    """An OpenSSL hashed directory holding the private CA: what a user's SSL_CERT_DIR names."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command for the subject hash")
    command = [openssl, "x509", "-hash", "-noout", "-in", private.ca_path]
    subject_hash = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    directory = tmp_path_factory.mktemp("private-dir")
    shutil.copy(private.ca_path, directory / (subject_hash + ".0"))
    # What else such directories hold, none of it a certificate OpenSSL would look up:
    (directory / "README").write_text("-----BEGIN CERTIFICATE-----\nnot one\n")
    (directory / "deadbeef.0").write_text("-----BEGIN CERTIFICATE-----\ncorrupt\n-----END CERTIFICATE-----\n")
    (directory / (subject_hash + ".r0")).write_text("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n")
    return str(directory)


def user_value(request, variable, private):
    """What the user set ``variable`` to so that it trusts their private CA."""
    return request.getfixturevalue("private_dir") if variable == "SSL_CERT_DIR" else private.ca_path


def exported(run, venv, **env):
    """The CA variables a Python process with ``env`` has in ``os.environ`` after start."""
    return run.script(venv, "exported_vars", **env)[0]


def certificates_in(path):
    with open(path) as f:
        text = f.read()
    return [PEM_BEGIN + block.split(PEM_BEGIN, 1)[1] + PEM_END for block in text.split(PEM_END)[:-1]]


# --- curl, git, node as children ---------------------------------------------------------------


@pytest.mark.parametrize("client", CHILD_PROBES)
def test_child_trusts_the_injected_ca_and_only_it(run, core_venv, trio, client):
    outcome, process = run.probe(core_venv, client, trio.url, **trio.env)
    trio.check(outcome, process)


@pytest.mark.parametrize("client", CHILD_PROBES)
def test_export_off_children_reject_in_process_trusts(run, core_venv, intercept, client):
    env = dict(SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_EXPORT_ENV="0")
    outcome, process = run.probe(core_venv, client, intercept.url, **env)
    assert outcome == "rejected", process.stdout + process.stderr
    outcome, process = run.probe(core_venv, "urllib_request", intercept.url, **env)
    assert outcome == "trusted", process.stdout + process.stderr


# --- what is exported ------------------------------------------------------------------------


# Variables whose readers default to certifi (requests, botocore): the rest extend the system bundle
# (grpc's bundled roots are the base of its variable only where grpc is installed, not in core_venv).
CERTIFI_BASED = ("REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE")


def test_replace_variables_hold_their_tools_default_roots_and_the_ca(run, core_venv, intercept):
    found = exported(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path)
    ca = certificates_in(intercept.ca_path)
    system = certificates_in(SYSTEM_BUNDLE)
    certifi = certificates_in(core_venv.site_packages + "/certifi/cacert.pem")
    assert len(system) > 50 and len(certifi) > 50
    for name in found["replace"]:
        path = found["env"][name]
        assert path, name
        bundle = certificates_in(path)
        roots = certifi if name in CERTIFI_BASED else system
        assert set(ca) <= set(bundle), name
        assert set(roots) <= set(bundle), name  # never the CA alone: every default root is kept
        assert len(bundle) == len(roots) + len(ca), name
    # Additive: the CA alone; mode-changing variables are never introduced.
    assert certificates_in(found["env"]["NODE_EXTRA_CA_CERTS"]) == ca
    assert found["env"]["PIP_CERT"] is None and found["env"]["NPM_CONFIG_CAFILE"] is None


@pytest.mark.parametrize(
    "env",
    [{"SANDBOX_TRUST_EXPORT_ENV": "0"}, {"SANDBOX_TRUST_DISABLE": "1"}],
    ids=["export-off", "opted-out"],
)
def test_nothing_exported(run, core_venv, intercept, env):
    found = exported(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, **env)
    assert found["env"] == dict.fromkeys(found["env"]), found["env"]


# --- a user's own CA variables ----------------------------------------------------------------

# (the variable the user set to their private CA, a client that reads it directly or as its fallback)
USER_VARIABLES = [
    ("SSL_CERT_FILE", "urllib_request"),
    ("SSL_CERT_FILE", "child_curl"),  # curl: CURL_CA_BUNDLE, then SSL_CERT_FILE
    ("REQUESTS_CA_BUNDLE", "requests"),
    ("CURL_CA_BUNDLE", "child_curl"),
    ("CURL_CA_BUNDLE", "requests"),  # requests: REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE
    ("SSL_CERT_DIR", "urllib_request"),
    ("SSL_CERT_DIR", "child_curl"),  # curl reads it only while CURL_CA_BUNDLE is unset
]


@pytest.mark.parametrize("variable, client", USER_VARIABLES)
def test_user_private_ca_and_injected_ca_both_trusted(
    request, run, core_venv, intercept, private, variable, client
):
    env = {"SANDBOX_CA_CERT": intercept.ca_path, variable: user_value(request, variable, private)}
    for origin in (private, intercept):
        outcome, process = run.probe(core_venv, client, origin.url, **env)
        assert outcome == "trusted", process.stdout + process.stderr


@pytest.mark.parametrize("variable, client", USER_VARIABLES)
def test_user_private_ca_opted_out_trusts_only_private(
    request, run, core_venv, intercept, private, variable, client
):
    """The baseline the package extends: the user's variable alone works; the CA is not trusted."""
    value = user_value(request, variable, private)
    env = {"SANDBOX_CA_CERT": intercept.ca_path, variable: value, "SANDBOX_TRUST_DISABLE": "1"}
    for origin, expected in ((private, "trusted"), (intercept, "rejected")):
        outcome, process = run.probe(core_venv, client, origin.url, **env)
        assert outcome == expected, process.stdout + process.stderr


@pytest.mark.parametrize("variable, client", USER_VARIABLES)
def test_user_private_ca_still_rejects_an_unrelated_ca(
    request, run, core_venv, intercept, private, unrelated, variable, client
):
    env = {"SANDBOX_CA_CERT": intercept.ca_path, variable: user_value(request, variable, private)}
    outcome, process = run.probe(core_venv, client, unrelated.url, **env)
    assert outcome == "rejected", process.stdout + process.stderr


def test_user_variable_is_extended_not_replaced(run, core_venv, intercept, private):
    found = exported(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SSL_CERT_FILE=private.ca_path)
    bundle = certificates_in(found["env"]["SSL_CERT_FILE"])
    assert bundle == certificates_in(private.ca_path) + certificates_in(intercept.ca_path)
    # curl would have read the user's SSL_CERT_FILE: its own variable extends that, not the system roots.
    assert found["env"]["CURL_CA_BUNDLE"] == found["env"]["SSL_CERT_FILE"]


def test_user_cert_dir_goes_into_curls_bundle(run, core_venv, intercept, private, private_dir):
    """curl reads SSL_CERT_DIR only while CURL_CA_BUNDLE is unset: the bundle exported there holds the
    directory's certificates (not its other files); SSL_CERT_FILE, which OpenSSL reads beside it, does not."""
    found = exported(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path, SSL_CERT_DIR=private_dir)
    system, ca = certificates_in(SYSTEM_BUNDLE), certificates_in(intercept.ca_path)
    assert certificates_in(found["env"]["CURL_CA_BUNDLE"]) == system + certificates_in(private.ca_path) + ca
    assert certificates_in(found["env"]["SSL_CERT_FILE"]) == system + ca


# --- design.md, known trap 4: an app's own Session.verify ------------------------------------


@pytest.mark.parametrize("origin_name, expected", [("private", "trusted"), ("intercept", "rejected")])
def test_session_verify_path_beats_exported_variables(
    run, core_venv, intercept, private, origin_name, expected
):
    """The app pinned its private CA: it keeps working, and gets exactly that (no CA added)."""
    origin = {"private": private, "intercept": intercept}[origin_name]
    env = dict(SANDBOX_CA_CERT=intercept.ca_path, PROBE_CA_BUNDLE=private.ca_path)
    # The variable of known trap 4 is there.
    assert exported(run, core_venv, **env)["env"]["REQUESTS_CA_BUNDLE"]
    outcome, process = run.probe(core_venv, "requests_session_verify", origin.url, **env)
    assert outcome == expected, process.stdout + process.stderr


def test_session_verify_opted_out_baseline(run, core_venv, intercept, private):
    outcome, process = run.probe(
        core_venv,
        "requests_session_verify",
        private.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        PROBE_CA_BUNDLE=private.ca_path,
        SANDBOX_TRUST_DISABLE="1",
    )
    assert outcome == "trusted", process.stdout + process.stderr
