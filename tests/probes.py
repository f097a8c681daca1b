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
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", directory,
             "--index-url", url + "simple/", "--retries", "0", "--timeout", "10", *options,
             "sandbox-trust-no-such-project"],
            capture_output=True, text=True, timeout=120,
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


if __name__ == "__main__":
    main()
