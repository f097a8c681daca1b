"""truststore.inject_into_ssl() called by the app: ``python truststore_injected.py URL first|after``.

``first``: injected first thing, every context is truststore's (it loads the roots per handshake).
``after``: injected late; contexts and paths cached before it (aiohttp's, requests') must keep working.
"""

import ssl
import sys

import checks


def inject_first(report, url):
    import truststore

    truststore.inject_into_ssl()
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    bare.load_default_certs()
    report.check("create_default_context", checks.handshake(ssl.create_default_context(), url))
    report.check("bare_sslcontext", checks.handshake(bare, url))
    for name in ("urllib_request", "http_client", "requests", "urllib3", "httpx", "aiohttp", "websockets"):
        report.probe(name, url)


def inject_after(report, url):
    before = ssl.create_default_context()
    import aiohttp  # noqa: F401 - imported (and its defaults cached) before the injection
    import httpx  # noqa: F401
    import requests  # noqa: F401
    import truststore
    import urllib3  # noqa: F401

    truststore.inject_into_ssl()
    report.check("context_before", checks.handshake(before, url))
    report.check("context_after", checks.handshake(ssl.create_default_context(), url))
    report.check("aiohttp_ssl_after", checks.aiohttp_get(url, ssl.create_default_context()))
    for name in ("urllib_request", "requests", "urllib3", "httpx", "aiohttp"):
        report.probe(name, url)


def main():
    url, when = sys.argv[1], sys.argv[2]
    report = checks.Report()
    {"first": inject_first, "after": inject_after}[when](report, url)
    report.emit()


if __name__ == "__main__":
    main()
