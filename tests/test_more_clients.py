"""Clients beyond the core: botocore, tornado, httpx2, openai, grpcio, pip legacy-certs, pycurl.

Each positive test has its two twins (opted out; unrelated CA). grpc gets its own local gRPC TLS
server (grpcio's server API and health service), with leaves minted by the same throwaway CAs.
"""

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import PROBES, scrubbed_env

MORE_CLIENTS = ("boto3", "tornado", "openai", "httpx2", "grpcio", "grpcio-health-checking", "pycurl")
MORE_PROBES = ("botocore", "tornado", "httpx2", "openai", "grpc", "pip_legacy_certs", "pycurl")

# A gRPC TLS server answering the standard health check: argv = leaf certificate, key.
GRPC_SERVER = """
import sys
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2_grpc

cert, key = (open(path, "rb").read() for path in sys.argv[1:3])
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key, cert)]))
server.start()
print(port, flush=True)
sys.stdin.read()  # serve until the test closes our stdin
server.stop(0)
"""


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
            [venv.python, "-c", GRPC_SERVER, cert, key],
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
def test_trusts_the_injected_ca(run, more_venv, intercept, url_of, client):
    outcome, process = run.probe(
        more_venv, client, url_of(client, "intercept"), SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "trusted", process.stdout + process.stderr
    assert process.stderr == ""


@pytest.mark.parametrize("client", MORE_PROBES)
def test_opted_out_rejects_the_injected_ca(run, more_venv, intercept, url_of, client):
    outcome, process = run.probe(
        more_venv,
        client,
        url_of(client, "intercept"),
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DISABLE="1",
    )
    assert outcome == "rejected", process.stdout + process.stderr


@pytest.mark.parametrize("client", MORE_PROBES)
def test_still_rejects_an_unrelated_ca(run, more_venv, intercept, url_of, client):
    outcome, process = run.probe(
        more_venv, client, url_of(client, "unrelated"), SANDBOX_CA_CERT=intercept.ca_path
    )
    assert outcome == "rejected", process.stdout + process.stderr


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


def probe_after(run, venv, prelude, client, url, **env):
    """Like ``run.probe``, with ``prelude`` run first in the probe's interpreter."""
    code = (
        prelude
        + "\nimport runpy, sys\nsys.argv = [%r, %r, %r]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
        % (PROBES, client, url)
    )
    process = run(venv, ["-c", code], **env)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    assert process.returncode == 0 and lines, process.stdout + process.stderr
    return json.loads(lines[-1])["outcome"], process


def test_grpc_core_alone_trusts_the_exported_variable(run, more_venv, intercept, grpc_origins):
    """With the grpc patch reverted, the C core's one read of GRPC_DEFAULT_SSL_ROOTS_FILE_PATH is enough;
    with export off nothing else reaches it (the reason for the patch)."""
    prelude = "import grpc\nfrom sandbox_trust import patches\npatches.revert('grpc_credentials')"
    url = grpc_origins["intercept"].url
    outcome, process = probe_after(run, more_venv, prelude, "grpc", url, SANDBOX_CA_CERT=intercept.ca_path)
    assert outcome == "trusted", process.stdout + process.stderr
    outcome, process = probe_after(
        run, more_venv, prelude, "grpc", url, SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_EXPORT_ENV="0"
    )
    assert outcome == "rejected", process.stdout + process.stderr


def test_grpc_explicit_roots_are_left_alone(run, more_venv, intercept, unrelated, grpc_origins):
    """An app's own ``root_certificates`` are used exactly: the CA is not added to them."""
    prelude = (
        "import grpc\n_credentials = grpc.ssl_channel_credentials\n"
        "grpc.ssl_channel_credentials = lambda: _credentials(open(%r, 'rb').read())" % unrelated.ca_path
    )
    for name, expected in (("unrelated", "trusted"), ("intercept", "rejected")):
        outcome, process = probe_after(
            run, more_venv, prelude, "grpc", grpc_origins[name].url, SANDBOX_CA_CERT=intercept.ca_path
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


IDENTITY = """
import importlib, sys
module_name, patch_name, attribute = sys.argv[1:4]
module = importlib.import_module(module_name)
patch = importlib.import_module("sandbox_trust.patches." + patch_name)
patched, original = getattr(patch, attribute), patch._PATCH.original[attribute]
assert getattr(module, attribute) is patched is not original, "not patched on import"
patch.revert(); patch.revert()
assert getattr(module, attribute) is original, "revert"
patch.apply(); patch.apply()
assert getattr(module, attribute) is patched, "apply"
print("ok")
"""


@pytest.mark.parametrize(
    "module, patch, attribute",
    [
        ("pycurl", "pycurl_handle", "Curl"),
        ("grpc", "grpc_credentials", "ssl_channel_credentials"),
    ],
)
def test_patch_identity_apply_and_revert(run, more_venv, intercept, module, patch, attribute):
    process = run(more_venv, ["-c", IDENTITY, module, patch, attribute], SANDBOX_CA_CERT=intercept.ca_path)
    assert process.stdout == "ok\n", process.stdout + process.stderr


def test_pycurl_handles_are_still_pycurl_curl(run, more_venv, intercept):
    code = (
        "import pycurl, pycurl._pycurl as ext; c = pycurl.Curl(); assert isinstance(c, ext.Curl); print('ok')"
    )
    process = run(more_venv, ["-c", code], SANDBOX_CA_CERT=intercept.ca_path)
    assert process.stdout == "ok\n", process.stdout + process.stderr
