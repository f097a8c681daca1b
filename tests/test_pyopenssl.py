"""pyOpenSSL (Twisted, Scrapy, urllib3's contrib): clients may trust the CA, servers never.

pyOpenSSL's OpenSSL reads the exported SSL_CERT_FILE itself; ``patches/pyopenssl_context.py``
makes ``Context.set_default_verify_paths`` load what stock loads from the user's values, and adds
the CA at a context's first client connection. Each case runs with the package and opted out
(stock, ``SANDBOX_TRUST_DISABLE=1``) and requires the same outcome, except a client trusting the CA.
"""

import pytest

CLIENT_NAME = "client@example.test"


@pytest.fixture(scope="module")
def pyopenssl_venv(make_venv):
    return make_venv("pyopenssl")


@pytest.fixture(scope="module")
def certificates(intercept, private, tmp_path_factory):
    """The server's chain and key (private CA), and client certificates of the interception CA
    and of the private CA."""
    directory = tmp_path_factory.mktemp("pyopenssl")
    paths = {}
    server = private.ca.issue_cert("127.0.0.1", "localhost")
    paths["server"] = str(directory / "server.pem")
    server.private_key_and_cert_chain_pem.write_to_path(paths["server"])
    for name, origin in (("intercept", intercept), ("private", private)):
        leaf = origin.ca.issue_cert(CLIENT_NAME)
        paths[name] = str(directory / ("client-%s.pem" % name))
        leaf.private_key_and_cert_chain_pem.write_to_path(paths[name])
    return paths


def serve(run, venv, certificates, private, client, **env):
    args = ["server", certificates["server"], certificates[client], private.ca_path]
    return run.script(venv, "pyopenssl_roles", *args, **env)


@pytest.mark.parametrize("package", [True, False], ids=["package", "stock"])
def test_server_never_accepts_a_client_certificate_of_the_ca(
    run, pyopenssl_venv, certificates, intercept, private, package
):
    env = {"SANDBOX_CA_CERT": intercept.ca_path}
    if not package:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    found, process = serve(run, pyopenssl_venv, certificates, private, "intercept", **env)
    assert found["outcome"] == "refused", process.stderr


@pytest.mark.parametrize("package", [True, False], ids=["package", "stock"])
def test_server_accepts_a_client_of_the_users_own_cert_file(
    run, pyopenssl_venv, certificates, intercept, private, package
):
    """The positive twin: the user's SSL_CERT_FILE (their private CA) is what the server loads."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SSL_CERT_FILE": private.ca_path}
    if not package:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    found, process = serve(run, pyopenssl_venv, certificates, private, "private", **env)
    assert found["outcome"] == "accepted", process.stderr
    found, process = serve(run, pyopenssl_venv, certificates, private, "intercept", **env)
    assert found["outcome"] == "refused", process.stderr


def test_client_trusts_the_ca_and_only_it(run, pyopenssl_venv, trio):
    found, process = run.script(pyopenssl_venv, "pyopenssl_roles", "client", trio.url, **trio.env)
    trio.check(found["outcome"], process)


def test_client_keeps_the_users_cert_file(run, pyopenssl_venv, intercept, private):
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SSL_CERT_FILE": private.ca_path}
    for origin in (private, intercept):
        found, process = run.script(pyopenssl_venv, "pyopenssl_roles", "client", origin.url, **env)
        assert found["outcome"] == "trusted", process.stderr
