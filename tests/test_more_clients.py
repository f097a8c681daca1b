"""Clients beyond the core: botocore, tornado, httpx2, openai, grpcio, pip legacy-certs, pycurl.

Each positive test has its two twins (opted out; unrelated CA). grpc gets its own local gRPC TLS
server (grpcio's server API and health service), with leaves minted by the same throwaway CAs.
"""

import os
import shutil
import subprocess

import pytest

from tests.conftest import MORE_CLIENTS, assert_patch_cycle, scrubbed_env
from tests.harness import script

MORE_PROBES = ("botocore", "tornado", "httpx2", "openai", "grpc", "pip_legacy_certs", "pycurl")


@pytest.fixture(scope="module")
def more_venv(make_venv):
    return make_venv(*MORE_CLIENTS)


class GrpcOrigin:
    """A gRPC server whose leaf ``origin``'s CA signed; ``url`` in the probes' https:// form."""

    def __init__(self, venv, origin, directory):
        leaf = origin.ca.issue_cert("localhost", "127.0.0.1")
        cert, key = os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf.key")
        leaf.cert_chain_pems[0].write_to_path(cert)
        leaf.private_key_pem.write_to_path(key)
        # The server is not under test: sandbox-trust stays out of it.
        env = scrubbed_env(directory, SANDBOX_TRUST_DISABLE="1")
        self.process = subprocess.Popen(
            [venv.python, script("grpc_server"), cert, key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.url = "https://localhost:%d/" % int(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def grpc_origins(more_venv, intercept, unrelated, tmp_path_factory):
    origins = {
        name: GrpcOrigin(more_venv, origin, str(tmp_path_factory.mktemp("grpc-" + name)))
        for name, origin in (("intercept", intercept), ("unrelated", unrelated))
    }
    yield origins
    for origin in origins.values():
        origin.close()


@pytest.fixture
def url_of(intercept, unrelated, grpc_origins):
    """``url_of(client, "intercept" | "unrelated")``: the origin that client talks to."""
    https = {"intercept": intercept.url, "unrelated": unrelated.url}

    def url_of(client, name):
        return grpc_origins[name].url if client == "grpc" else https[name]

    return url_of


@pytest.mark.parametrize("client", MORE_PROBES)
def test_trusts_the_injected_ca_and_only_it(run, more_venv, trio, url_of, client):
    outcome, process = run.probe(more_venv, client, url_of(client, trio.origin), **trio.env)
    trio.check(outcome, process, quiet=True)


@pytest.mark.parametrize("client", MORE_PROBES)
def test_trusted_without_exporting_variables(run, more_venv, intercept, url_of, client):
    """In-process patches alone: grpc's default-roots variable and pycurl's CAINFO are not exported."""
    outcome, process = run.probe(
        more_venv,
        client,
        url_of(client, "intercept"),
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_EXPORT_ENV="0",
    )
    assert outcome == "trusted", process.stdout + process.stderr


def probe_after(run, venv, setup, client, url, *args, **env):
    """Like ``run.probe``, after the app's set-up step ``setup`` (see tests/scripts/probe_after.py)."""
    report, process = run.script(venv, "probe_after", setup, client, url, *args, **env)
    return report["outcome"], process


def test_grpc_core_alone_trusts_the_exported_variable(run, more_venv, intercept, grpc_origins):
    """With the grpc patch reverted, the C core's one read of GRPC_DEFAULT_SSL_ROOTS_FILE_PATH is enough;
    with export off nothing else reaches it (the reason for the patch)."""
    url = grpc_origins["intercept"].url
    outcome, process = probe_after(
        run, more_venv, "grpc-reverted", "grpc", url, SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "trusted", process.stdout + process.stderr
    outcome, process = probe_after(
        run,
        more_venv,
        "grpc-reverted",
        "grpc",
        url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_EXPORT_ENV="0",
    )
    assert outcome == "rejected", process.stdout + process.stderr


def test_grpc_explicit_roots_are_left_alone(run, more_venv, intercept, unrelated, grpc_origins):
    """An app's own ``root_certificates`` are used exactly: the CA is not added to them."""
    for name, expected in (("unrelated", "trusted"), ("intercept", "rejected")):
        outcome, process = probe_after(
            run,
            more_venv,
            "grpc-own-roots",
            "grpc",
            grpc_origins[name].url,
            unrelated.ca_path,
            SANDBOX_CA_CERT=intercept.ca_path,
        )
        assert outcome == expected, process.stdout + process.stderr


@pytest.fixture(scope="module")
def unrelated_ca_dir(unrelated, tmp_path_factory):
    """A CA directory (OpenSSL hash names) holding only the unrelated CA."""
    directory = tmp_path_factory.mktemp("capath")
    shutil.copy(unrelated.ca_path, directory / "unrelated.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True)
    return str(directory)


@pytest.mark.parametrize("probe", ["pycurl_cainfo", "pycurl_capath"])
@pytest.mark.parametrize("name, expected", [("unrelated", "trusted"), ("intercept", "rejected")])
def test_pycurl_app_trust_wins(run, more_venv, intercept, unrelated, unrelated_ca_dir, probe, name, expected):
    """An app that sets CAINFO or CAPATH itself gets exactly that: no CA added, as libcurl would have it."""
    origin = {"intercept": intercept, "unrelated": unrelated}[name]
    outcome, process = run.probe(
        more_venv,
        probe,
        origin.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        PROBE_CA_BUNDLE=unrelated.ca_path,
        PROBE_CA_DIR=unrelated_ca_dir,
    )
    assert outcome == expected, process.stdout + process.stderr


@pytest.mark.parametrize("patch", ["pycurl_handle", "grpc_credentials"])
def test_patch_identity_and_reversal(run, more_venv, intercept, patch):
    assert_patch_cycle(run, more_venv, intercept.ca_path, patch)


def test_pycurl_handles_are_still_pycurl_curl(run, more_venv, intercept):
    code = (
        "import pycurl, pycurl._pycurl as ext; c = pycurl.Curl(); assert isinstance(c, ext.Curl); print('ok')"
    )
    process = run(more_venv, ["-c", code], SANDBOX_CA_CERT=intercept.ca_path)
    assert process.stdout == "ok\n", process.stdout + process.stderr
