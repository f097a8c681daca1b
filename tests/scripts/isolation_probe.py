"""Isolation probes, run in a test venv: ``python tests/scripts/isolation_probe.py CLIENT CASE URL...``.

One probe runs one way of configuring a client (a CASE: the library default, ``verify=False``, the
app's own CA, ``trust_env=False``, ...) against each URL and prints one JSON line:
``{"outcomes": [outcome per URL], "roots": [sha256 of each root certificate] or null}``. The tests
run the same probe with the package active and opted out and compare. ``PROBE_CA_BUNDLE`` names the
app's own CA file where a case needs one; the user's variables come from the environment as given.
"""

import hashlib
import json
import os
import ssl
import sys

from checks import outcome, probes  # this directory is on sys.path: run by path

CASES = {}


def case(client, name):
    def register(function):
        CASES[(client, name)] = function
        return function

    return register


def _app_ca():
    return os.environ["PROBE_CA_BUNDLE"]


def _fingerprints(context):
    """Every root ``context`` can verify with: those loaded, and those of sandbox-trust's hashed
    directories it holds (looked up lazily, so ``get_ca_certs`` lists them only once used)."""
    ders = set(context.get_ca_certs(binary_form=True))
    for entry in getattr(context, "_sandbox_trust_roots", None) or ():
        if isinstance(entry, str) and os.path.isabs(entry) and os.path.isdir(entry):
            for name in os.listdir(entry):
                with open(os.path.join(entry, name)) as f:
                    ders.add(ssl.PEM_cert_to_DER_cert(f.read()))
    return sorted(hashlib.sha256(der).hexdigest() for der in ders)


def _file_roots(path):
    """The roots a client ends up with when it hands ``path`` to ``ssl`` (as urllib3 does)."""
    return _fingerprints(ssl.create_default_context(cafile=path))


# --- requests ------------------------------------------------------------------------------------


def _requests(session_setup=None, request_kwargs=None):
    import requests

    session = requests.Session()
    if session_setup:
        session_setup(session)
    kwargs = request_kwargs() if request_kwargs else {}

    def get(url):
        session.get(url, timeout=10, **kwargs).raise_for_status()

    def roots():
        verify = session.merge_environment_settings(
            "https://localhost/", {}, None, kwargs.get("verify"), None
        )["verify"]
        if verify is False:
            return None
        return _file_roots(requests.adapters.DEFAULT_CA_BUNDLE_PATH if verify is True else verify)

    return get, roots


@case("requests", "default")
def requests_default():
    return _requests()


@case("requests", "session-verify-false")
def requests_session_verify_false():
    return _requests(lambda session: setattr(session, "verify", False))


@case("requests", "session-verify-path")
def requests_session_verify_path():
    return _requests(lambda session: setattr(session, "verify", _app_ca()))


@case("requests", "request-verify-path")
def requests_request_verify_path():
    return _requests(request_kwargs=lambda: {"verify": _app_ca()})


@case("requests", "request-verify-false")
def requests_request_verify_false():
    return _requests(request_kwargs=lambda: {"verify": False})


@case("requests", "trust-env-false")
def requests_trust_env_false():
    return _requests(lambda session: setattr(session, "trust_env", False))


@case("requests", "pip-vendored-session-verify-path")
def pip_requests_session_verify_path():
    """pip's vendored requests, as pip sets ``--cert`` on its session."""
    from pip._vendor import requests

    session = requests.Session()
    session.verify = _app_ca()

    def get(url):
        session.get(url, timeout=10).raise_for_status()

    return get, None


# --- httpx, httpx2 -------------------------------------------------------------------------------


def _httpx(module_name, **kwargs):
    module = __import__(module_name)
    if callable(kwargs.get("verify")):
        kwargs["verify"] = kwargs["verify"]()
    client = module.Client(timeout=10, **kwargs)

    def get(url):
        client.get(url).raise_for_status()

    def roots():
        context = client._transport._pool._ssl_context
        context = getattr(context, "_ctx", context)  # truststore's (httpx2 2.14) wraps an ssl.SSLContext
        return None if context.verify_mode == ssl.CERT_NONE else _fingerprints(context)

    return get, roots


def _app_context():
    return ssl.create_default_context(cafile=_app_ca())


for _module in ("httpx", "httpx2"):
    case(_module, "default")(lambda module=_module: _httpx(module))
    case(_module, "verify-false")(lambda module=_module: _httpx(module, verify=False))
    case(_module, "verify-context")(lambda module=_module: _httpx(module, verify=_app_context))
    case(_module, "trust-env-false")(lambda module=_module: _httpx(module, trust_env=False))


# --- botocore ------------------------------------------------------------------------------------


def _botocore(**client_kwargs):
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.httpsession
    import botocore.parsers

    if callable(client_kwargs.get("verify")):
        client_kwargs["verify"] = client_kwargs["verify"]()
    config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=10)
    clients = {}

    def client_for(url):
        if url not in clients:
            clients[url] = boto3.client(
                "s3",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="sandbox-trust-test",
                aws_secret_access_key="sandbox-trust-test",
                config=config,
                **client_kwargs,
            )
        return clients[url]

    def get(url):
        try:
            client_for(url).get_object(Bucket="bucket", Key="key")
        except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError):
            pass  # a whole HTTP response over a verified connection; "ok" is no S3 XML
        except botocore.exceptions.SSLError as exc:
            raise ssl.SSLCertVerificationError(str(exc)) from exc

    def roots():
        verify = client_for("https://localhost/")._endpoint.http_session._verify
        if verify is False:
            return None
        return _file_roots(botocore.httpsession.get_cert_path(verify))

    return get, roots


case("botocore", "default")(_botocore)
case("botocore", "verify-false")(lambda: _botocore(verify=False))
case("botocore", "verify-path")(lambda: _botocore(verify=_app_ca))


# --- grpc ----------------------------------------------------------------------------------------


def _grpc(roots_from_app):
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    def get(url):
        roots = open(_app_ca(), "rb").read() if roots_from_app else None
        host, port = probes._host_port(url)
        credentials = grpc.ssl_channel_credentials(root_certificates=roots)
        with grpc.secure_channel("%s:%d" % (host, port), credentials) as channel:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)

    return get, None


case("grpc", "default")(lambda: _grpc(False))
case("grpc", "explicit-roots")(lambda: _grpc(True))


def main():
    client, name, urls = sys.argv[1], sys.argv[2], sys.argv[3:]
    get, roots = CASES[(client, name)]()
    outcomes = [outcome(lambda url=url: get(url)) for url in urls]
    print(json.dumps({"outcomes": outcomes, "roots": roots() if roots else None}))


if __name__ == "__main__":
    main()
