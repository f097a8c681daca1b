"""The demo's child process: ``python -m sandbox_trust._demo_probe request CLIENT URL`` or ``run CMD...``.

``request``: one GET of URL with CLIENT's defaults (urllib, requests, httpx, urllib3, aiohttp);
prints one JSON line ``{"outcome": "trusted" | "rejected" | "error", "detail": ...}``.
``run``: runs a non-Python tool from a Python process, so the tool sees exactly the variables
sandbox-trust exported at this interpreter's start; exits with the tool's exit code.

It imports nothing of sandbox-trust itself: what it shows is what the ``.pth`` did to this
interpreter, as for any program.
"""

import json
import ssl
import subprocess
import sys
import traceback

TIMEOUT = 10  # seconds per request


def request(client, url):
    if client == "urllib":
        import urllib.request

        urllib.request.urlopen(url, timeout=TIMEOUT).read()
    elif client == "requests":
        import requests

        requests.get(url, timeout=TIMEOUT).raise_for_status()
    elif client == "httpx":
        import httpx

        httpx.get(url, timeout=TIMEOUT).raise_for_status()
    elif client == "urllib3":
        import urllib3

        urllib3.PoolManager().request("GET", url, timeout=TIMEOUT, retries=False)
    elif client == "aiohttp":
        import asyncio

        import aiohttp

        async def get():
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as response:
                    response.raise_for_status()

        asyncio.run(get())
    else:
        raise ValueError("unknown client %r" % client)


def outcome(client, url):
    try:
        request(client, url)
    except BaseException as exc:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        chain = []
        while exc is not None and exc not in chain:
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
        # Libraries wrap the SSL error in their own types; its text survives in the traceback.
        rejected = "CERTIFICATE_VERIFY_FAILED" in text
        rejected = rejected or any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)
        detail = "%s: %s" % (type(chain[0]).__name__, chain[0])
        return {"outcome": "rejected" if rejected else "error", "detail": detail}
    return {"outcome": "trusted"}


def main(argv):
    if len(argv) == 3 and argv[0] == "request":
        print(json.dumps(outcome(argv[1], argv[2])))
        return 0
    if len(argv) >= 2 and argv[0] == "run":
        return subprocess.run(argv[1:]).returncode
    sys.stderr.write("usage: python -m sandbox_trust._demo_probe request CLIENT URL | run COMMAND...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
