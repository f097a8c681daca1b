"""Client probes, run in a test venv's interpreter: ``python probes.py CLIENT URL``.

Each probe makes one real HTTPS request with the library's defaults (no ``verify=``, no context)
and prints one JSON line: ``{"client": ..., "outcome": "trusted" | "rejected" | "error", ...}``.
"rejected" means the certificate did not verify; anything else going wrong is an "error", which
tests treat as a failure, so a probe cannot pass by breaking.
"""

import json
import socket
import ssl
import subprocess
import sys
import tempfile
import traceback
import urllib.parse

PROBES = {}


def probe(function):
    PROBES[function.__name__] = function
    return function


def _host_port(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port or 443


def _handshake(context, url):
    host, port = _host_port(url)
    with socket.create_connection((host, port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host):
            pass


@probe
def urllib_request(url):
    import urllib.request

    urllib.request.urlopen(url, timeout=10).read()


@probe
def http_client(url):
    import http.client

    host, port = _host_port(url)
    connection = http.client.HTTPSConnection(host, port, timeout=10)
    connection.request("GET", "/")
    connection.getresponse().read()


@probe
def create_default_context(url):
    _handshake(ssl.create_default_context(), url)


def _roleless(load):
    """A role-less context (``PROTOCOL_TLS``) made a client as urllib3 1.x makes one, roots by ``load``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    load(context)
    return context


@probe
def roleless_default_certs(url):
    _handshake(_roleless(lambda context: context.load_default_certs()), url)


@probe
def roleless_certifi(url):
    import certifi

    _handshake(_roleless(lambda context: context.load_verify_locations(certifi.where())), url)


@probe
def roleless_asyncio(url):
    """The same context in asyncio, whose connections wrap a BIO pair (``wrap_bio``), not a socket."""
    import asyncio

    async def connect():
        host, port = _host_port(url)
        context = _roleless(lambda context: context.set_default_verify_paths())
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), 10
        )
        writer.close()

    asyncio.run(connect())


@probe
def bare_sslcontext(url):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs()
    _handshake(context, url)


@probe
def requests(url):
    import requests

    requests.get(url, timeout=10).raise_for_status()


@probe
def requests_session(url):
    import requests

    with requests.Session() as session:
        session.get(url, timeout=10).raise_for_status()


@probe
def urllib3(url):
    import urllib3

    urllib3.PoolManager().request("GET", url, timeout=10, retries=False)


@probe
def httpx(url):
    import httpx

    httpx.get(url, timeout=10).raise_for_status()


@probe
def httpx_async(url):
    import asyncio

    import httpx

    async def main():
        async with httpx.AsyncClient(timeout=10) as client:
            (await client.get(url)).raise_for_status()

    asyncio.run(main())


@probe
def aiohttp(url):
    import asyncio

    import aiohttp

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                response.raise_for_status()

    asyncio.run(main())


@probe
def websockets(url):
    from websockets.sync.client import connect

    with connect(url.replace("https://", "wss://"), open_timeout=10):
        pass


def _pip(url, *options):
    """pip talks to the origin as an index; a verified handshake gets as far as 'no match'."""
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-cache-dir",
                "-d",
                directory,
                "--index-url",
                url + "simple/",
                "--retries",
                "0",
                "--timeout",
                "10",
                *options,
                "sandbox-trust-no-such-project",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = process.stdout + process.stderr
    if "CERTIFICATE_VERIFY_FAILED" in output or "certificate verify failed" in output:
        raise ssl.SSLCertVerificationError(output.strip().splitlines()[-1])
    if "No matching distribution" not in output:
        raise RuntimeError("unexpected pip output: " + output)


@probe
def pip(url):
    _pip(url)


def _outcome(exc):
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    chain = []
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return "rejected"
    return "error"


def main():
    client, url = sys.argv[1], sys.argv[2]
    try:
        PROBES[client](url)
    except BaseException as exc:  # noqa: BLE001 - every failure is classified and reported
        result = {"client": client, "outcome": _outcome(exc), "detail": "%s: %s" % (type(exc).__name__, exc)}
    else:
        result = {"client": client, "outcome": "trusted"}
    print(json.dumps(result))


# --- clients beyond the core (tests/test_more_clients.py) -------------------------------------


@probe
def botocore(url):
    """An anonymous S3 call: the origin's "ok" is no S3 XML, so a verified handshake ends in an S3 error.

    botocore turns a 200 whose body is not XML into a 500 ``ClientError`` (its S3 "200 error" rule):
    either error means a whole HTTP response was read over the verified connection.
    """
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.parsers

    config = botocore.config.Config(
        signature_version=botocore.UNSIGNED,
        retries={"total_max_attempts": 1},
        connect_timeout=10,
        read_timeout=10,
    )
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", config=config)
    try:
        client.list_buckets()
    except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError):
        pass
    except botocore.exceptions.SSLError as exc:
        raise ssl.SSLCertVerificationError(str(exc)) from exc


@probe
def tornado(url):
    import tornado.httpclient

    client = tornado.httpclient.HTTPClient()
    try:
        client.fetch(url, request_timeout=10)
    finally:
        client.close()


@probe
def httpx2(url):
    import httpx2

    httpx2.get(url, timeout=10).raise_for_status()


@probe
def openai(url):
    """The real SDK (transport: httpx2) with the origin as its base URL; the raw response skips parsing."""
    import openai

    client = openai.OpenAI(base_url=url + "v1", api_key="sandbox-trust-test", max_retries=0, timeout=10)
    response = client.models.with_raw_response.list()
    if response.http_response.status_code != 200 or response.http_response.text != "ok":
        raise RuntimeError("unexpected response: %r" % response.http_response)


@probe
def grpc(url):
    """The standard health check over a channel with grpc's default roots (``root_certificates=None``)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    host, port = _host_port(url)
    with grpc.secure_channel("%s:%d" % (host, port), grpc.ssl_channel_credentials()) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        raise RuntimeError("unexpected health status: %r" % response)


@probe
def pip_legacy_certs(url):
    _pip(url, "--use-deprecated=legacy-certs")


def _pycurl(url, *options):
    import io

    import pycurl

    body = io.BytesIO()
    curl = pycurl.Curl()
    for option, value in ((pycurl.URL, url), (pycurl.WRITEDATA, body), (pycurl.TIMEOUT, 10), *options):
        curl.setopt(option, value)
    try:
        curl.perform()
    except pycurl.error as exc:
        if exc.args[0] == pycurl.E_PEER_FAILED_VERIFICATION:
            raise ssl.SSLCertVerificationError(str(exc)) from exc
        raise
    finally:
        curl.close()
    if body.getvalue() != b"ok":
        raise RuntimeError("unexpected body: %r" % body.getvalue())


@probe
def pycurl(url):
    _pycurl(url)


@probe
def pycurl_cainfo(url):
    """pycurl with the app's own CAINFO (``PROBE_CA_BUNDLE``): exactly that file is trusted."""
    import os

    import pycurl

    _pycurl(url, (pycurl.CAINFO, os.environ["PROBE_CA_BUNDLE"]))


@probe
def pycurl_capath(url):
    """pycurl with the app's own CAPATH (``PROBE_CA_DIR``, hashed): only that directory is trusted."""
    import os

    import pycurl

    _pycurl(url, (pycurl.CAPATH, os.environ["PROBE_CA_DIR"]))


@probe
def requests_session_verify(url):
    """design.md, known trap 4: an app's own ``Session.verify`` path (``PROBE_CA_BUNDLE``), exported variables or not."""
    import os

    import requests

    with requests.Session() as session:
        session.verify = os.environ["PROBE_CA_BUNDLE"]
        session.get(url, timeout=10).raise_for_status()


# --- child processes started from Python (tests/test_children.py) ------------------------------
# The child inherits os.environ as it is after sandbox-trust's start: that is what is under test.

_NODE_GET = """
const request = require("https").get(process.argv[1], (response) => {
  let body = "";
  response.on("data", (chunk) => { body += chunk; });
  response.on("end", () => console.log(JSON.stringify({status: response.statusCode, body})));
});
request.setTimeout(10000, () => request.destroy(new Error("timeout")));
request.on("error", (error) => console.log(JSON.stringify({code: error.code, message: error.message})));
"""
# OpenSSL verify results as node names them: what an untrusted issuer produces.
_NODE_CERT_ERRORS = (
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_UNTRUSTED",
    "UNABLE_TO_GET_ISSUER_CERT",
)


def _child(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@probe
def child_curl(url):
    process = _child(["curl", "--silent", "--show-error", "--max-time", "10", url])
    if process.returncode == 60:  # CURLE_PEER_FAILED_VERIFICATION
        raise ssl.SSLCertVerificationError(process.stderr.strip())
    if process.returncode != 0 or process.stdout != "ok":
        raise RuntimeError("curl exited %d: %s" % (process.returncode, process.stderr.strip()))


@probe
def child_git(url):
    """The origin is no git server: its "ok" to info/refs reads (dumb protocol) as a repository without refs."""
    process = _child(["git", "-c", "http.sslVerify=true", "ls-remote", url + "repository.git"])
    output = process.stdout + process.stderr
    if "certificate" in output.lower():  # GnuTLS: "server certificate verification failed. CAfile: ..."
        raise ssl.SSLCertVerificationError(output.strip())
    if process.returncode != 0 or output:
        raise RuntimeError("git exited %d: %s" % (process.returncode, output.strip()))


@probe
def child_node(url):
    process = _child(["node", "-e", _NODE_GET, url])
    result = json.loads(process.stdout or "{}")
    if result.get("code") in _NODE_CERT_ERRORS:
        raise ssl.SSLCertVerificationError("%(code)s: %(message)s" % result)
    if result != {"status": 200, "body": "ok"}:
        raise RuntimeError("node: %r %s" % (result, process.stderr.strip()))


@probe
def child_deno(url):
    """Deno (``PROBE_DENO``: its binary) runs tests/scripts/fetch_deno.js: rustls names an unknown issuer."""
    import os

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts", "fetch_deno.js")
    process = _child([os.environ["PROBE_DENO"], "run", "--allow-net", "--no-prompt", script, url])
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if "invalid peer certificate: UnknownIssuer" in result.get("cause", ""):
        raise ssl.SSLCertVerificationError(result["cause"])
    if result != {"status": 200, "body": "ok"}:
        raise RuntimeError("deno: %r %s" % (result, process.stderr.strip()))


@probe
def child_java(url):
    """``java Fetch.java URL`` (a single-file launch, JDK 11+): PKIX path building fails on an unknown issuer."""
    import os

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts", "Fetch.java")
    process = _child(["java", script, url])
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if result.get("outcome") == "rejected" and "PKIX path building failed" in result.get("detail", ""):
        raise ssl.SSLCertVerificationError(result["detail"])
    if result != {"outcome": "trusted", "status": 200, "body": "ok"}:
        raise RuntimeError("java: %r %s" % (result, process.stderr.strip()))


@probe
def child_python(url):
    """Probe ``PROBE_CHILD_CLIENT`` in another interpreter (``PROBE_CHILD_PYTHON``), e.g. a venv made here."""
    import os

    process = _child([os.environ["PROBE_CHILD_PYTHON"], __file__, os.environ["PROBE_CHILD_CLIENT"], url])
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"outcome": "error", "detail": process.stderr.strip()}
    if result["outcome"] == "rejected":
        raise ssl.SSLCertVerificationError(result["detail"])
    if result["outcome"] != "trusted":
        raise RuntimeError("child: %s" % result["detail"])


# --- what a venv without sandbox-trust has (tests/test_venvs.py) --------------------------------


@probe
def pip_vendored_requests(url):
    """The requests every venv with pip has: it reads REQUESTS_CA_BUNDLE."""
    from pip._vendor import requests

    requests.get(url, timeout=10).raise_for_status()


@probe
def system_cafile(url):
    """A context loaded from the system bundle by path: no variable reaches it."""
    _handshake(ssl.create_default_context(cafile="/etc/ssl/certs/ca-certificates.crt"), url)


@probe
def pip_vendored_certifi(url):
    """A context loaded from a certifi bundle by path (here pip's copy): no variable reaches it."""
    from pip._vendor import certifi

    _handshake(ssl.create_default_context(cafile=certifi.where()), url)


if __name__ == "__main__":  # keep last: probes appended below main() must be registered first
    main()
