"""Probes for tests/test_lazy_roots.py, run in a test venv: ``python lazy_roots_probes.py NAME ARGS...``.

Each prints one JSON line. A handshake's outcome is "trusted", "rejected" (the certificate did not
verify) or "error" (anything else, which tests treat as a failure).
"""

import json
import os
import socket
import ssl
import sys
import urllib.parse

PROBES = {}


def probe(function):
    PROBES[function.__name__] = function
    return function


def _handshake(context, url):
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname=parts.hostname):
                pass
    except ssl.SSLCertVerificationError as exc:
        return "rejected", str(exc)
    except Exception as exc:  # noqa: BLE001 - reported, and a test fails on it
        return "error", "%s: %s" % (type(exc).__name__, exc)
    return "trusted", ""


def _roots_directories():
    """The hashed directories this process found, by base (empty with lazy roots off)."""
    module = sys.modules.get("sandbox_trust._hashed_dirs")
    return module.directories() if module is not None else {}


def _contexts():
    """The ways clients build a context with default roots, each a fresh context."""
    contexts = {"create_default_context": ssl.create_default_context}

    def bare():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_default_certs()
        return context

    contexts["load_default_certs"] = bare
    try:
        import certifi
    except ImportError:
        return contexts
    contexts["certifi_where"] = lambda: ssl.create_default_context(cafile=certifi.where())
    try:
        from pip._vendor import certifi as vendored
    except ImportError:
        return contexts
    contexts["pip_vendored_certifi"] = lambda: ssl.create_default_context(cafile=vendored.where())
    return contexts


@probe
def stats(url):
    """Per way of building a context: its store statistics before the handshake, and the outcome."""
    report = {}
    for name, make in _contexts().items():
        context = make()
        before = context.cert_store_stats()
        outcome, detail = _handshake(context, url)
        report[name] = {"before": before, "outcome": outcome, "detail": detail}
    print(json.dumps({"contexts": report, "directories": _roots_directories()}))


@probe
def handshake(url):
    """``create_default_context()`` (3.13: strict and partial-chain flags) against ``url``."""
    context = ssl.create_default_context()
    before = context.cert_store_stats()
    outcome, detail = _handshake(context, url)
    flags = context.verify_flags
    print(
        json.dumps(
            {
                "outcome": outcome,
                "detail": detail,
                "before": before,
                "strict": bool(flags & getattr(ssl, "VERIFY_X509_STRICT", 0)),
                "partial_chain": bool(flags & getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)),
                "directories": _roots_directories(),
            }
        )
    )


@probe
def directory_only(capath, *urls):
    """A context that loads nothing but the directory ``capath`` (unpatched loader), per URL."""
    import _ssl

    outcomes = []
    for url in urls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _ssl._SSLContext.load_verify_locations(context, capath=capath)
        outcomes.append(_handshake(context, url)[0])
    print(json.dumps({"outcomes": outcomes}))


@probe
def two_bases(cafile, order, url):
    """A context that loads the bundle ``cafile`` and the default paths, in ``order``, as truststore does."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    steps = {
        "file": lambda: context.load_verify_locations(cafile),
        "cadata": lambda: context.load_verify_locations(cadata=open(cafile).read()),
        "default": context.set_default_verify_paths,
    }
    for step in order.split(","):
        steps[step]()
    before = context.cert_store_stats()
    outcome, detail = _handshake(context, url)
    state = getattr(context, "_sandbox_trust_roots", None)
    print(json.dumps({"outcome": outcome, "detail": detail, "before": before, "state": state}))


@probe
def roots_of(path):
    """What ``_hashed_dirs`` makes of the base ``path``: its directory, or None (loaded eagerly)."""
    from sandbox_trust import _ca, _hashed_dirs

    roots = _hashed_dirs.roots_for(path, _ca.certificates())
    print(json.dumps({"capath": roots.capath if roots else None}))


@probe
def when_built(cache):
    """The cache after start and ``import ssl`` (this module's, patched), then after a first context."""
    report = {"before": sorted(os.listdir(cache))}
    report["modules"] = sorted(name for name in sys.modules if name.startswith("sandbox_trust"))
    ssl.create_default_context()
    report["after"] = sorted(os.listdir(cache))
    print(json.dumps(report))


@probe
def environ(*names):
    print(json.dumps({name: os.environ.get(name) for name in names}))


if __name__ == "__main__":
    PROBES[sys.argv[1]](*sys.argv[2:])
