"""Work measured inside a bench venv's interpreter; prints one JSON line. Stdlib only at import.

clients.py connect URL COUNT BUDGET [truststore]  new HTTPS connections per client, timed
clients.py handshakes URL CLIENT COUNT       one first connection, then COUNT more (counted by callgrind)
clients.py late CA_PATH (sandbox|poll100)    when a CA written late is first trusted
clients.py stampede URL CA_PATH              one trusted urllib request, then check the export
clients.py versions NAME...                  OpenSSL's version, then "NAME VERSION" per installed one (text)
"""

import json
import os
import socket
import ssl
import sys
import time
import urllib.parse

CLOSE = {"Connection": "close"}  # every request opens a new connection (and a new handshake)


def _urllib(url):
    import urllib.request

    def once():  # no context given: urllib builds a new default context for every connection
        urllib.request.urlopen(url, timeout=10).read()

    return once, None


def _requests(url):
    import requests

    session = requests.Session()

    def once():
        session.get(url, headers=CLOSE, timeout=10).raise_for_status()

    return once, session.close


def _httpx(url):
    import httpx

    client = httpx.Client()

    def once():
        client.get(url, headers=CLOSE, timeout=10).raise_for_status()

    return once, client.close


def _sslcontext(url):
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context()

    def once():
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname=parts.hostname):
                pass

    return once, None


CONNECT = {"urllib": _urllib, "requests": _requests, "httpx": _httpx, "sslcontext": _sslcontext}


def connect(url, count, budget, truststore=""):
    """Per client: one first connection, then up to ``count`` more within ``budget`` seconds (>= 3)."""
    if truststore:  # the naive alternative: what a user gets by calling it first thing
        import truststore as _truststore

        _truststore.inject_into_ssl()
    result = {}
    for name, make in CONNECT.items():
        once, close = make(url)
        wall, cpu = time.perf_counter(), time.process_time()
        once()  # first connection: pays for loading roots (and the CA) once
        first, first_cpu = time.perf_counter() - wall, time.process_time() - cpu
        n = 0
        wall, cpu = time.perf_counter(), time.process_time()
        deadline = wall + float(budget)
        while n < int(count) and (n < 3 or time.perf_counter() < deadline):
            once()
            n += 1
        result[name] = {
            "first": first,
            "first_cpu": first_cpu,
            "n": n,
            "each": (time.perf_counter() - wall) / n,
            "each_cpu": (time.process_time() - cpu) / n,
        }
        if close:
            close()
    print(json.dumps(result))


def handshakes(url, client, count):
    once, close = CONNECT[client](url)
    for _ in range(1 + int(count)):
        once()
    if close:
        close()


def late(ca_path, mode):
    print("ready", flush=True)
    if mode == "poll100":  # the runtime's own loader: look every 100 ms
        while not os.path.exists(ca_path):
            time.sleep(0.1)
        print(json.dumps({"end": time.monotonic(), "trusted": True}))
        return
    context = ssl.create_default_context()  # declared and absent: waits here until the CA lands
    end = time.monotonic()
    with open(ca_path) as f:
        want = ssl.PEM_cert_to_DER_cert(f.read())
    trusted = want in context.get_ca_certs(binary_form=True)
    print(json.dumps({"end": end, "trusted": trusted}))


def stampede(url, ca_path):
    import urllib.request

    result = {"ok": False}
    try:
        urllib.request.urlopen(url, timeout=30).read()
        result["request"] = True
        exported = os.environ.get("SSL_CERT_FILE", "")
        with open(ca_path, "rb") as f:
            ca = f.read().strip()
        with open(exported, "rb") as f:
            result["export"] = exported.startswith(os.environ["SANDBOX_TRUST_CACHE_DIR"]) and ca in f.read()
        result["ok"] = result["export"]
    except Exception as exc:
        result["error"] = "%s: %s" % (type(exc).__name__, exc)
    print(json.dumps(result))


def versions(*names):
    import importlib.metadata

    print(ssl.OPENSSL_VERSION)
    for name in names:
        try:
            print(name, importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            pass


if __name__ == "__main__":
    commands = {
        "connect": connect,
        "handshakes": handshakes,
        "late": late,
        "stampede": stampede,
        "versions": versions,
    }
    commands[sys.argv[1]](*sys.argv[2:])
