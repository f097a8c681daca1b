"""Server contexts never gain the CA, whichever way they load roots, and never raise where stock would not.

A real TLS server verifies client certificates (CERT_REQUIRED) with a context built one way
(certifi's text as ``cadata``, certifi's path, the exported bundle's text with either line
ending, ``load_default_certs(Purpose.CLIENT_AUTH)``, ``set_default_verify_paths``,
``load_default_certs()`` on a server context; and a role-less ``PROTOCOL_TLS`` context loading
roots each of these ways, the CA deferred to a client-side wrap it never makes). Two clients connect: one whose certificate the
interceptor's CA issued (must be rejected: that CA is for *clients* of this process) and one the
user's own base CA issued. Whatever the package does, each server decides exactly as it does
with the package opted out; bases include one with UTF-8 comments (Fedora's has them). The
control: a server told to trust the CA explicitly accepts its client, so rejection is observable.
"""

import os

import pytest
import trustme

from tests.hardening import assert_quiet, probe

VARIANTS = (
    "cadata-certifi-contents",
    "cafile-certifi-where",
    "cadata-exported-text",
    "cadata-exported-crlf",
    "load-default-certs-client-auth",
    "set-default-verify-paths",
    "load-default-certs-server-auth",
    # Role-less contexts (PROTOCOL_TLS) used as servers: the CA would come only at a client-side wrap.
    "roleless-load-default-certs-client-auth",
    "roleless-load-default-certs",
    "roleless-set-default-verify-paths",
    "roleless-certifi-where",
)
# Variants that read the SSL_CERT_FILE bundle: the base CA's client is accepted through it.
READS_SSL_CERT_FILE = tuple(v for v in VARIANTS if not v.endswith(("certifi-contents", "certifi-where")))
COMMENTS = ("# Zertifikat für die öffentliche Wurzel ✓\n", "# 証明書\n")


@pytest.fixture(scope="module")
def material(intercept, tmp_path_factory):
    directory = tmp_path_factory.mktemp("server-contexts")
    server_ca, base_ca = trustme.CA(), trustme.CA()
    paths = {"directory": str(directory)}

    def write(name, blob):
        path = os.path.join(str(directory), name)
        blob.write_to_path(path)
        return path

    paths["server_chain"] = write(
        "server.pem", server_ca.issue_cert("localhost").private_key_and_cert_chain_pem
    )
    paths["server_ca"] = write("server-ca.pem", server_ca.cert_pem)
    paths["intercept_client"] = write(
        "intercept-client.pem", intercept.ca.issue_cert("client.example").private_key_and_cert_chain_pem
    )
    paths["base_client"] = write(
        "base-client.pem", base_ca.issue_cert("client.example").private_key_and_cert_chain_pem
    )
    base_pem = base_ca.cert_pem.bytes().decode()
    for name, text in (("ascii", base_pem), ("non-ascii", COMMENTS[0] + base_pem + COMMENTS[1])):
        paths[name] = os.path.join(str(directory), "base-%s.pem" % name)
        with open(paths[name], "w", encoding="utf-8") as f:
            f.write(text)
    return paths


def _serve(run, venv, variant, client, material, intercept, base, **extra):
    env = dict(
        SANDBOX_CA_CERT=intercept.ca_path,
        PROBE_SERVER_CHAIN=material["server_chain"],
        PROBE_SERVER_CA=material["server_ca"],
        PROBE_CLIENT=material[client],
        PROBE_EXPLICIT_CA=intercept.ca_path,
        **extra,
    )
    if base != "none":
        env["SSL_CERT_FILE"] = material[base]
    result, process = probe(run, venv, "server", variant, **env)
    return result["server"], process


@pytest.mark.parametrize("base", ["none", "ascii", "non-ascii"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_server_context_never_gains_the_ca(run, core_venv, intercept, material, variant, base):
    for client in ("intercept_client", "base_client"):
        outcome, process = _serve(run, core_venv, variant, client, material, intercept, base)
        stock, _ = _serve(
            run, core_venv, variant, client, material, intercept, base, SANDBOX_TRUST_DISABLE="1"
        )
        assert not outcome.startswith("error"), (client, outcome, process.stderr)
        assert outcome == stock, (client, outcome, stock)
        assert_quiet(process, lines=0)
        if client == "intercept_client":
            assert outcome == "rejected"
        elif base != "none" and variant in READS_SSL_CERT_FILE:
            assert outcome == "accepted"  # the base's own roots still work: the test can see acceptance


def test_control_a_server_told_to_trust_the_ca_does(run, core_venv, intercept, material):
    outcome, process = _serve(run, core_venv, "explicit-ca", "intercept_client", material, intercept, "ascii")
    assert outcome == "accepted", process.stderr
    outcome, process = _serve(run, core_venv, "explicit-ca", "base_client", material, intercept, "ascii")
    assert outcome == "rejected", process.stderr
