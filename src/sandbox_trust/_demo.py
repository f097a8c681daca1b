"""``sandbox-trust demo``: the whole story on a laptop, with no sandbox, network or real CA.

1. Mint two throwaway CAs, each with a leaf for localhost/127.0.0.1, in a fresh temporary directory:
   the injected one and an unrelated one nobody trusts. The
   ``openssl`` command line is used when it is on PATH: it is on nearly every image that has curl
   or git, and needs no Python package. Otherwise ``trustme`` (built on ``cryptography``) when it
   is importable. The standard library cannot generate keys or sign certificates, so with neither
   the demo says so and stops.
2. Start a local HTTPS server signed by the injected CA (the "interceptor") and one signed by the
   unrelated CA.
3. For each client: the stdlib's urllib always, requests/httpx/aiohttp/urllib3 when this
   interpreter has them, and curl/git/node when they are on PATH (started from a Python process,
   so they see only the variables sandbox-trust exports), run one request in a fresh subprocess of
   this interpreter (``_demo_probe``) with a scrubbed environment where ``SANDBOX_CA_CERT`` is the
   injected CA: to the interceptor with ``SANDBOX_TRUST_DISABLE=1`` (must be rejected) and without
   (must be trusted), and to the unrelated origin without (must still be rejected: the CA is
   added, nothing is loosened).
4. Print a table, delete the temporary directory (bundles, HOME and TMPDIR of the children are in
   it too) and exit 0 only when every client behaved.
"""

import concurrent.futures
import http.server
import importlib.util
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

PYTHON_CLIENTS = ("urllib", "requests", "httpx", "aiohttp", "urllib3")
TOOLS = ("curl", "git", "node")
TIMEOUT = 30  # seconds per probe process; each takes well under one

# The child: ``python -m`` of it, with the demo's temporary directory as working directory (nothing
# there shadows a module).
PROBE_MODULE = "sandbox_trust._demo_probe"

NODE_PROBE = r"""
require("https").get(process.argv[1], (response) => {
  response.resume();
  response.on("end", () => process.exit(0));
}).on("error", (error) => {
  console.error(error.code || error.message);
  process.exit(/CERT|SIGNATURE|ISSUER|SELF_SIGNED/.test(error.code || "") ? 60 : 1);
});
"""

# Markers of a failed verification in each tool's output (curl exit 60; git via libcurl-gnutls or -openssl).
REJECTED_MARKERS = (
    "SSL certificate problem",
    "certificate verification failed",
    "server certificate",
    "(60)",
)


class DemoError(Exception):
    """The demo cannot run here; ``str()`` says why in one sentence."""


# --- the throwaway CA ----------------------------------------------------------------------

CA_CONFIG = """[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = sandbox-trust demo %s CA (throwaway)
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
# The extensions Python 3.13's strict verification wants of a leaf as well.
LEAF_EXTENSIONS = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


EC_KEY = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"  # fast to generate, unlike RSA


def _openssl(openssl, directory, arguments):
    """Run ``openssl ARGUMENTS`` (space-separated, no quoting needed) inside ``directory``."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": directory}
    process = subprocess.run(
        [openssl, *arguments.split()], cwd=directory, capture_output=True, text=True, timeout=60, env=env
    )
    if process.returncode != 0:
        raise DemoError("openssl %s failed: %s" % (arguments.split()[0], process.stderr.strip()))


def mint_with_openssl(openssl, directory):
    with open(os.path.join(directory, "ca.cnf"), "w") as f:
        f.write(CA_CONFIG % os.path.basename(directory))
    with open(os.path.join(directory, "leaf.ext"), "w") as f:
        f.write(LEAF_EXTENSIONS)
    _openssl(openssl, directory, "req -x509 -config ca.cnf %s -keyout ca.key -out ca.pem -days 1" % EC_KEY)
    _openssl(openssl, directory, "req -new %s -keyout leaf.key -out leaf.csr -subj /CN=localhost" % EC_KEY)
    _openssl(
        openssl,
        directory,
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x%s -days 1 -extfile leaf.ext "
        "-out leaf.pem" % os.urandom(8).hex(),
    )
    return tuple(os.path.join(directory, name) for name in ("ca.pem", "leaf.pem", "leaf.key"))


def mint_with_trustme(trustme, directory):
    ca = trustme.CA()
    ca_path = os.path.join(directory, "ca.pem")
    ca.cert_pem.write_to_path(ca_path)
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    chain = os.path.join(directory, "leaf.pem")
    leaf.private_key_and_cert_chain_pem.write_to_path(chain)
    return ca_path, chain, None


def mint(directory):
    """``(how, ca_path, leaf_path, key_path or None)`` of a new CA in ``directory`` (created)."""
    os.mkdir(directory, 0o700)
    openssl = shutil.which("openssl")
    if openssl:
        return ("openssl",) + mint_with_openssl(openssl, directory)
    try:
        import trustme
    except ImportError:
        raise DemoError(
            "cannot mint a throwaway CA: neither the openssl command nor the trustme package is available "
            "(install one: apt-get install openssl, or pip install trustme)"
        ) from None
    return ("trustme",) + mint_with_trustme(trustme, directory)


# --- the interceptor -----------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        # git asks for info/refs: an empty list is a valid (dumb-protocol) empty repository.
        body = b"" if "/info/refs" in self.path else b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Interceptor(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, leaf, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(leaf, key)
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = "https://localhost:%d/" % self.server_address[1]

    def get_request(self):
        sock, address = super().get_request()
        sock.settimeout(10)
        # The handshake runs in the request's thread, on first read: a stuck client blocks nobody.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        pass  # a client that rejects our certificate is what half of the demo expects


# --- the probes ----------------------------------------------------------------------------


def available_clients():
    clients = [name for name in PYTHON_CLIENTS if name == "urllib" or importlib.util.find_spec(name)]
    tools = {name: shutil.which(name) for name in TOOLS}
    return clients + [name for name, path in tools.items() if path], tools


def child_env(directory, ca_path, opted_out):
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.path.join(directory, "home"),
        "TMPDIR": os.path.join(directory, "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "SANDBOX_CA_CERT": ca_path,
        "SANDBOX_TRUST_CACHE_DIR": os.path.join(directory, "cache"),
    }
    if opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    return env


def probe(client, tools, url, env, directory):
    """``(outcome, detail)`` of one request by ``client`` in a subprocess with ``env``."""
    if client in tools:
        tool = {
            "curl": [tools["curl"], "-sS", "-o", os.devnull, "--max-time", "10", url],
            "git": [tools["git"], "ls-remote", url],
            "node": [tools["node"], "-e", NODE_PROBE, url],
        }[client]
        command = [sys.executable, "-m", PROBE_MODULE, "run", *tool]
    else:
        command = [sys.executable, "-m", PROBE_MODULE, "request", client, url]
    try:
        process = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=TIMEOUT, cwd=directory
        )
    except subprocess.TimeoutExpired:
        return "error", "timed out"
    if client in tools:
        output = (process.stdout + process.stderr).strip()
        if process.returncode == 0:
            return "trusted", ""
        if process.returncode == 60 or any(marker in output for marker in REJECTED_MARKERS):
            return "rejected", output
        return "error", output or "exit %d" % process.returncode
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return "error", (process.stderr.strip().splitlines() or ["exit %d" % process.returncode])[-1]
    result = json.loads(lines[-1])
    return result["outcome"], result.get("detail", "")


# column -> (which origin, opted out?, the outcome that column must show)
RUNS = {
    "opted out": ("interceptor", True, "rejected"),
    "with sandbox-trust": ("interceptor", False, "trusted"),
    "unrelated CA": ("unrelated", False, "rejected"),
}


def run_probes(clients, tools, urls, directory, ca_path):
    """``{(client, column of RUNS): (outcome, detail)}``."""
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for client in clients:
            for column, (origin, opted_out, _expected) in RUNS.items():
                env = child_env(directory, ca_path, opted_out)
                jobs[(client, column)] = pool.submit(probe, client, tools, urls[origin], env, directory)
    return {key: job.result() for key, job in jobs.items()}


# --- the show ------------------------------------------------------------------------------


def table(rows):
    header = ("client", *RUNS, "verdict")
    widths = [max(len(str(row[i])) for row in (header,) + tuple(rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    )
    return "\n".join(lines)


def main():
    from sandbox_trust._status import running_startup_file

    if running_startup_file() is None:
        sys.stderr.write(
            "sandbox-trust demo: sandbox_trust.pth is not installed in this interpreter (%s); "
            "run the demo with an interpreter where sandbox-trust is pip-installed\n" % sys.executable
        )
        return 1
    started = time.monotonic()
    directory = tempfile.mkdtemp(prefix="sandbox-trust-demo-")
    servers = []
    try:
        for name in ("home", "tmp"):
            os.mkdir(os.path.join(directory, name), 0o700)
        try:
            how, ca_path, leaf, key = mint(os.path.join(directory, "injected"))
            *_, unrelated_leaf, unrelated_key = mint(os.path.join(directory, "unrelated"))
        except DemoError as exc:
            sys.stderr.write("sandbox-trust demo: %s\n" % exc)
            return 1
        try:
            urls = {}
            for origin, chain in (
                ("interceptor", (leaf, key)),
                ("unrelated", (unrelated_leaf, unrelated_key)),
            ):
                server = Interceptor(*chain)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                servers.append(server)  # serving: shutdown() below returns (it waits for the loop)
                urls[origin] = server.url
            clients, tools = available_clients()
            print("throwaway CA (minted with %s): %s" % (how, ca_path))
            print("interceptor: %s, signed by that CA" % urls["interceptor"])
            print("unrelated origin: %s, signed by another throwaway CA nobody trusts" % urls["unrelated"])
            print(
                "each client runs in a fresh %s with SANDBOX_CA_CERT set to the first CA\n" % sys.executable
            )
            results = run_probes(clients, tools, urls, directory, ca_path)
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    rows, culprits = [], []
    for client in clients:
        outcomes = [results[(client, column)][0] for column in RUNS]
        ok = outcomes == [expected for _origin, _opted_out, expected in RUNS.values()]
        rows.append((client, *outcomes, "ok" if ok else "FAIL"))
        if not ok:
            details = "; ".join(
                detail.splitlines()[-1] for _outcome, detail in (results[(client, c)] for c in RUNS) if detail
            )
            culprits.append(
                "%s: %s%s"
                % (
                    client,
                    ", ".join(
                        "%s %s (expected %s)" % (column, outcome, RUNS[column][2])
                        for column, outcome in zip(RUNS, outcomes)
                    ),
                    " - " + details if details else "",
                )
            )
    print(table(rows))
    print(
        "\n%d clients in %.1f s; temporary directory %s removed"
        % (len(clients), time.monotonic() - started, directory)
    )
    if culprits:
        print("\nNOT as expected:")
        for culprit in culprits:
            print("  " + culprit)
        return 1
    print(
        "every client rejects the interceptor when opted out and trusts it with sandbox-trust, "
        "and still rejects a server signed by an unrelated CA"
    )
    return 0
