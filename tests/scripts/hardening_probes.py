"""Child programs of the hardening tests, run in a test venv: ``python hardening_probes.py COMMAND ...``.

Each prints one JSON line on stdout. Outcomes are those of ``tests/probes.py``: "trusted",
"rejected" (the certificate did not verify) or "error: ..." (anything else, a test failure).

- ``report [--chdir DIR] URL...``: urllib and requests in-process, curl as a child, per URL;
  plus the CA variables as this process exports them.
- ``fork waiting|locked URL``: fork while a thread waits for the declared CA (or holds the CA
  lock, as while parsing it); the child's first request, once the CA has landed.
- ``server VARIANT``: a TLS server verifying client certificates with a context built as VARIANT
  says; one client (``PROBE_CLIENT``) connects: "accepted" or "rejected" by the server.
- ``pycurl VARIANT URL``: a pycurl request after the app set its own trust as VARIANT says.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

EXPORTED = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "PIP_CERT",
    "SSL_CERT_DIR",
)


def outcome(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - every failure is classified
        text = repr(exc)
        chain = [exc]
        while chain[-1].__cause__ or chain[-1].__context__:
            chain.append(chain[-1].__cause__ or chain[-1].__context__)
        if (
            any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)
            or "CERTIFICATE_VERIFY_FAILED" in text
        ):
            return "rejected"
        return "error: %s" % text
    return "trusted"


def _urllib(url):
    import urllib.request

    urllib.request.urlopen(url, timeout=10).read()


def _requests(url):
    import requests

    requests.get(url, timeout=10).raise_for_status()


def _curl(url):
    process = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if process.returncode == 60:  # CURLE_PEER_FAILED_VERIFICATION
        raise ssl.SSLCertVerificationError(process.stderr.strip())
    if process.returncode != 0 or process.stdout != "ok":
        raise RuntimeError("curl exited %d: %s" % (process.returncode, process.stderr.strip()))


def report(args):
    result = {"environ": {name: os.environ.get(name) for name in EXPORTED}}
    if args[0] == "--chdir":
        os.chdir(args[1])  # after start: what an exported relative path would now mean
        args = args[2:]
    for url in args:
        result[url] = {name: outcome(lambda c=call, u=url: c(u)) for name, call in CLIENTS.items()}
    print(json.dumps(result))


def _git(url):
    """The origin is no git server: its "ok" to info/refs reads (dumb protocol) as a repository without refs."""
    command = ["git", "-c", "http.sslVerify=true", "ls-remote", url + "repository.git"]
    process = subprocess.run(command, capture_output=True, text=True, timeout=30)
    output = process.stdout + process.stderr
    if "certificate" in output.lower():  # GnuTLS: "server certificate verification failed. CAfile: ..."
        raise ssl.SSLCertVerificationError(output.strip())
    if process.returncode != 0 or output:
        raise RuntimeError("git exited %d: %s" % (process.returncode, output.strip()))


CLIENTS = {"urllib": _urllib, "requests": _requests, "curl": _curl}
if os.environ.get("PROBE_GIT") == "1":
    CLIENTS["git"] = _git


def fork(args):
    mode, url = args
    target = os.environ["SANDBOX_CA_CERT"]
    from sandbox_trust import _ca

    if mode == "waiting":  # the CA is declared and absent: this thread waits for it, holding the lock
        threading.Thread(target=outcome, args=(lambda: _urllib(url),), daemon=True).start()
    else:  # the CA is there: this thread holds the lock as while parsing it, for longer than the test
        threading.Thread(target=lambda: _ca._section.__enter__() and time.sleep(60), daemon=True).start()
    deadline = time.monotonic() + 10
    while not _ca._section.busy() and time.monotonic() < deadline:
        time.sleep(0.01)
    held = _ca._section.busy() and _ca._certificates is None  # not parsed yet: else no child needs the lock
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        signal.alarm(20)  # a child blocked on an inherited lock must fail the test, not hang it
        line = json.dumps({"held_at_fork": held, "child": outcome(lambda: _urllib(url))})
        os.write(writer, line.encode() + b"\n")
        os._exit(0)
    os.close(writer)
    if mode == "waiting":
        time.sleep(0.5)  # the child is waiting too by now
        shutil.copy(os.environ["PROBE_CA_SOURCE"], target + ".tmp")
        os.rename(target + ".tmp", target)  # lands whole, as the runtime's copy does
    _pid, status = os.waitpid(pid, 0)
    with os.fdopen(reader) as f:
        line = f.read().strip()
    print(line or json.dumps({"held_at_fork": held, "child": "killed (status %d)" % status}))


def _server_context(variant):
    """A server-side context that verifies client certificates, built the way ``variant`` names."""
    client_auth = ssl.Purpose.CLIENT_AUTH
    if variant == "cadata-certifi-contents":
        import certifi

        return ssl.create_default_context(client_auth, cadata=certifi.contents())
    if variant == "cafile-certifi-where":
        import certifi

        return ssl.create_default_context(client_auth, cafile=certifi.where())
    if variant in ("cadata-exported-text", "cadata-exported-crlf"):
        with open(
            os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().openssl_cafile, encoding="utf-8"
        ) as f:
            text = f.read()
        if variant.endswith("crlf"):
            text = text.replace("\n", "\r\n")
        text = "".join(char for char in text if char.isascii())  # cadata= takes ASCII only, as stock
        return ssl.create_default_context(client_auth, cadata=text)
    if variant == "load-default-certs-client-auth":  # create_default_context loads none for a server
        context = ssl.create_default_context(client_auth)
        context.load_default_certs(client_auth)
        return context
    if variant == "set-default-verify-paths":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_default_verify_paths()
        return context
    if variant == "load-default-certs-server-auth":  # the default purpose, on a server context
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_default_certs()
        return context
    if variant.startswith("roleless-"):  # PROTOCOL_TLS: no role until it wraps (as a server, here)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS)
        if variant == "roleless-load-default-certs-client-auth":
            context.load_default_certs(client_auth)
        elif variant == "roleless-load-default-certs":  # the default purpose: the roots of a client
            context.load_default_certs()
        elif variant == "roleless-set-default-verify-paths":
            context.set_default_verify_paths()
        elif variant == "roleless-certifi-where":
            import certifi

            context.load_verify_locations(certifi.where())
        else:
            raise SystemExit("unknown variant %s" % variant)
        return context
    if variant == "explicit-ca":  # the control: a server told to trust the CA does
        return ssl.create_default_context(client_auth, cafile=os.environ["PROBE_EXPLICIT_CA"])
    raise SystemExit("unknown variant %s" % variant)


def server(args):
    (variant,) = args
    try:
        context = _server_context(variant)
    except Exception as exc:  # noqa: BLE001 - a server context that raises is the defect under test
        print(json.dumps({"server": "error: building the context: %r" % exc}))
        return
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(os.environ["PROBE_SERVER_CHAIN"])
    listener = socket.create_server(("127.0.0.1", 0))
    result = {}

    def serve():
        connection, _ = listener.accept()
        connection.settimeout(10)
        try:
            tls = context.wrap_socket(connection, server_side=True)
        except ssl.SSLError as exc:
            verify_failed = "CERTIFICATE_VERIFY_FAILED" in repr(exc) or "certificate verify failed" in str(
                exc
            )
            result["server"] = "rejected" if verify_failed else "error: %r" % exc
            connection.close()
            return
        result["server"] = "accepted"
        tls.recv(4096)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        tls.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=os.environ["PROBE_SERVER_CA"])
    client.load_cert_chain(os.environ["PROBE_CLIENT"])
    import urllib.request

    url = "https://localhost:%d/" % listener.getsockname()[1]
    result["client"] = outcome(lambda: urllib.request.urlopen(url, context=client, timeout=10).read())
    thread.join(15)
    print(json.dumps(result))


def pycurl_request(args):
    import io

    import pycurl

    variant, url = args
    body = io.BytesIO()
    curl = pycurl.Curl()
    for option, value in ((pycurl.URL, url), (pycurl.WRITEDATA, body), (pycurl.TIMEOUT, 10)):
        curl.setopt(option, value)
    if variant == "setopt_string-capath":
        curl.setopt_string(pycurl.CAPATH, os.environ["PROBE_CA_DIR"])
    elif variant == "setopt_string-cainfo":
        curl.setopt_string(pycurl.CAINFO, os.environ["PROBE_CA_BUNDLE"])
    elif variant == "setopt-capath-by-number":
        curl.setopt(int(pycurl.CAPATH), os.environ["PROBE_CA_DIR"])
    elif variant == "duphandle-then-setopt_string-capath":
        original, curl = curl, curl.duphandle()
        original.close()
        curl.setopt_string(pycurl.CAPATH, os.environ["PROBE_CA_DIR"])
    elif variant != "default":
        raise SystemExit("unknown variant %s" % variant)

    def perform():
        try:
            curl.perform()
        except pycurl.error as exc:
            if exc.args[0] == pycurl.E_PEER_FAILED_VERIFICATION:
                raise ssl.SSLCertVerificationError(str(exc)) from exc
            raise
        if body.getvalue() != b"ok":
            raise RuntimeError("unexpected body: %r" % body.getvalue())

    print(json.dumps({"outcome": outcome(perform)}))


COMMANDS = {"report": report, "fork": fork, "server": server, "pycurl": pycurl_request}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](sys.argv[2:])
