"""Never weaker: server-side contexts never gain the CA, and hostname checks stay on."""

import json

import pytest

from tests import servers
from tests.harness import SYSTEM_BUNDLE, script

SERVER = (
    "default_server",
    "default_server_verifying",
    "tls_server",
    "tls_server_default_paths",
    "legacy_server",
    "tls_server_certifi",
    "legacy_server_default_certs",
    "legacy_unwrapped",
)
CLIENT = ("default_client", "tls_client", "legacy_client")


def _contexts(run, venv, ca_path, **env):
    # Each context as an application builds it; the child reports whether the CA's DER is in it.
    process = run(
        venv,
        ("-W", "ignore::DeprecationWarning", script("context_trust"), ca_path),
        SANDBOX_CA_CERT=ca_path,
        **env,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def assert_servers_untouched(active, opted_out):
    """Every server-side context is what it is without the package, and holds no CA of ours."""
    for name in SERVER:
        assert active[name] == opted_out[name], name
        assert not active[name]["has_ca"], name


# The user's own SSL_CERT_FILE is extended for children; server contexts must still load it as it was.
@pytest.mark.parametrize(
    "user_env", ({}, {"SSL_CERT_FILE": SYSTEM_BUNDLE}), ids=("plain", "user-ssl-cert-file")
)
def test_server_contexts_never_gain_the_ca(run, core_venv, intercept, user_env):
    active = _contexts(run, core_venv, intercept.ca_path, **user_env)
    opted_out = _contexts(run, core_venv, intercept.ca_path, SANDBOX_TRUST_DISABLE="1", **user_env)
    assert_servers_untouched(active, opted_out)


def test_server_contexts_never_gain_the_ca_from_an_inherited_bundle(run, core_venv, intercept):
    """A child of a sandbox-trust process inherits SSL_CERT_FILE = merged bundle (system + CA)."""
    process = run(
        core_venv, ("-c", "import os; print(os.environ['SSL_CERT_FILE'])"), SANDBOX_CA_CERT=intercept.ca_path
    )
    inherited = process.stdout.strip()
    assert inherited != SYSTEM_BUNDLE and "sandbox-trust" in inherited, process.stderr
    active = _contexts(run, core_venv, intercept.ca_path, SSL_CERT_FILE=inherited)
    opted_out = _contexts(
        run, core_venv, intercept.ca_path, SANDBOX_TRUST_DISABLE="1", SSL_CERT_FILE=SYSTEM_BUNDLE
    )
    assert_servers_untouched(active, opted_out)


@pytest.mark.parametrize(
    "user_env", ({}, {"SSL_CERT_FILE": SYSTEM_BUNDLE}), ids=("plain", "user-ssl-cert-file")
)
@pytest.mark.parametrize("lazy", ("1", "0"))
def test_client_contexts_gain_the_ca(run, core_venv, intercept, user_env, lazy):
    active = _contexts(run, core_venv, intercept.ca_path, SANDBOX_TRUST_LAZY_ROOTS=lazy, **user_env)
    opted_out = _contexts(run, core_venv, intercept.ca_path, SANDBOX_TRUST_DISABLE="1", **user_env)
    for name in CLIENT:
        assert active[name]["has_ca"] and not opted_out[name]["has_ca"], name
        if lazy == "0":
            assert active[name]["stats"]["x509_ca"] == opted_out[name]["stats"]["x509_ca"] + 1, name
        else:  # roots come from a hashed directory when a chain needs them; the CA is always there
            assert active[name]["stats"]["x509_ca"] >= 1, name


@pytest.fixture(scope="module")
def other_host(tmp_path_factory):
    """An origin signed by the injected-style CA whose leaf names other.example and 127.0.0.1 only."""
    with servers.Origin(tmp_path_factory.mktemp("other-host"), hostname="other.example") as origin:
        yield origin


HOSTNAME_CLIENTS = ("urllib_request", "create_default_context", "requests", "httpx")


@pytest.mark.parametrize("client", HOSTNAME_CLIENTS)
def test_hostname_mismatch_is_rejected(run, core_venv, other_host, client):
    url = "https://localhost:%d/" % other_host.port  # the leaf does not name localhost
    outcome, process = run.probe(core_venv, client, url, SANDBOX_CA_CERT=other_host.ca_path)
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("client", HOSTNAME_CLIENTS)
def test_hostname_match_is_trusted(run, core_venv, other_host, client):
    url = "https://127.0.0.1:%d/" % other_host.port  # same server, a name the leaf does hold
    outcome, process = run.probe(core_venv, client, url, SANDBOX_CA_CERT=other_host.ca_path)
    assert outcome == "trusted", process.stdout + process.stderr
