"""Venvs made inside the sandbox, without sandbox-trust: what the exported variables reach there.

A Python process with the package active makes venvs with ``python -m venv``, ``virtualenv`` and
``uv venv`` and runs their interpreters as children. Those interpreters have no patches: what
trusts the CA there is only what reads an inherited variable.
- trusted: stdlib (urllib, ``create_default_context``, bare ``SSLContext`` + ``load_default_certs``)
  through SSL_CERT_FILE; pip's vendored requests through REQUESTS_CA_BUNDLE; pip itself.
- not trusted: a context loaded from a bundle by path (the system file, any certifi copy): no
  variable reaches it; only the package installed in that venv (``install --venv``) does.
With export off (or opted out) nothing in those venvs trusts the CA.
"""

import os

import pytest

from tests.conftest import Runner
from tests.harness import script

KINDS = ("venv", "virtualenv", "uv")
TRUSTED = {
    "venv": ("urllib_request", "create_default_context", "bare_sslcontext", "pip_vendored_requests", "pip"),
    "virtualenv": (
        "urllib_request",
        "create_default_context",
        "bare_sslcontext",
        "pip_vendored_requests",
        "pip",
    ),
    "uv": ("urllib_request", "create_default_context", "bare_sslcontext"),  # uv venv seeds no pip
}
NOT_TRUSTED = {
    "venv": ("system_cafile", "pip_vendored_certifi"),
    "virtualenv": ("system_cafile", "pip_vendored_certifi"),
    "uv": ("system_cafile",),
}


@pytest.fixture(scope="module")
def tools_venv(make_venv):
    return make_venv("virtualenv", "uv")


@pytest.fixture(scope="module")
def made(tools_venv, intercept, tmp_path_factory):
    """``{kind: python of a venv made by that tool}``, each made by a process with the package active."""
    root = tmp_path_factory.mktemp("made")
    home = root / "home"
    home.mkdir()
    run = Runner(str(home))
    pythons = {}
    for kind in KINDS:
        path = str(root / kind)
        process = run(
            tools_venv, [script("create_venv"), kind, path], timeout=180, SANDBOX_CA_CERT=intercept.ca_path
        )
        assert process.returncode == 0, process.stderr
        pythons[kind] = os.path.join(path, "bin", "python")
    return pythons


def in_made_venv(run, tools_venv, made, kind, client, url, **env):
    return run.probe(
        tools_venv, "child_python", url, PROBE_CHILD_PYTHON=made[kind], PROBE_CHILD_CLIENT=client, **env
    )


def cases(table):
    return [(kind, client) for kind in KINDS for client in table[kind]]


@pytest.mark.parametrize("kind", KINDS)
def test_made_venv_has_no_sandbox_trust(run, tools_venv, made, kind):
    process = run(
        tools_venv,
        [
            "-c",
            "import subprocess, sys; sys.exit(subprocess.call([sys.argv[1], '-c', 'import sandbox_trust']))",
            made[kind],
        ],
    )
    assert process.returncode == 1 and "ModuleNotFoundError" in process.stderr, process.stderr


@pytest.mark.parametrize("kind, client", cases(TRUSTED))
def test_inherited_variables_trust_the_ca_and_only_it(run, tools_venv, made, trio, kind, client):
    outcome, process = in_made_venv(run, tools_venv, made, kind, client, trio.url, **trio.env)
    trio.check(outcome, process)


@pytest.mark.parametrize("kind, client", cases(TRUSTED))
def test_export_off_nothing_reaches_made_venvs(run, tools_venv, made, intercept, kind, client):
    outcome, process = in_made_venv(
        run,
        tools_venv,
        made,
        kind,
        client,
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_EXPORT_ENV="0",
    )
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("kind, client", cases(NOT_TRUSTED))
def test_bundle_loaded_by_path_is_not_reached(run, tools_venv, made, intercept, kind, client):
    """The limit of variables: only the package in that venv would add the CA here."""
    outcome, process = in_made_venv(
        run, tools_venv, made, kind, client, intercept.url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("client", ("system_cafile", "pip_vendored_certifi"))
def test_bundle_loaded_by_path_is_trusted_where_the_package_is(run, tools_venv, intercept, client):
    """The same probes in the package's own venv: the rejection above is the venv's, not the probe's."""
    outcome, process = run.probe(tools_venv, client, intercept.url, SANDBOX_CA_CERT=intercept.ca_path)
    assert outcome == "trusted", process.stdout + process.stderr
