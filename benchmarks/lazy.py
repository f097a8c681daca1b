"""Lazy roots where a client parses a bundle at import or per connection: aiohttp, pip.

- ``import aiohttp`` (it builds a default context at import), callgrind instructions, CA present;
- ``pip download`` of several packages from a local HTTPS index, wall and CPU time of the process.

Each in three states of the same venv: the baseline (no package; SSL_CERT_FILE and
REQUESTS_CA_BUNDLE point at a merged bundle), sandbox-trust (lazy roots, the default) and
sandbox-trust with ``SANDBOX_TRUST_LAZY_ROOTS=0``. Rounds are interleaved, figures are medians.
"""

import hashlib
import http.server
import os
import resource
import shutil
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import zipfile

from lab import log, scrubbed_env, servers
from startup import count

PIP_PACKAGES = tuple("lazy-roots-bench-%d" % number for number in range(1, 7))


def states(certs):
    """name -> (distributions on, extra env)."""
    merged = {"SSL_CERT_FILE": certs.merged_path, "REQUESTS_CA_BUNDLE": certs.merged_path}
    return {
        "baseline": ((), merged),
        "sandbox-trust": (("sandbox-trust",), {"SANDBOX_CA_CERT": certs.ca_path}),
        EAGER: (
            ("sandbox-trust",),
            {"SANDBOX_CA_CERT": certs.ca_path, "SANDBOX_TRUST_LAZY_ROOTS": "0"},
        ),
    }


def _wheel(directory, project):
    """A minimal pure-Python wheel for ``project``: what pip downloads and reads the metadata of."""
    module = project.replace("-", "_")
    name = "%s-1.0-py3-none-any.whl" % module
    info = "%s-1.0.dist-info" % module
    files = {
        "%s/__init__.py" % module: b"",
        "%s/METADATA" % info: ("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % project).encode(),
        "%s/WHEEL"
        % info: b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,,\n" % path for path in files) + "%s/RECORD,,\n" % info
    files["%s/RECORD" % info] = record.encode()
    path = os.path.join(directory, name)
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return name


def _index(root):
    """A PEP 503 simple index of PIP_PACKAGES under ``root``."""
    files = os.path.join(root, "files")
    os.makedirs(files)
    for project in PIP_PACKAGES:
        name = _wheel(files, project)
        with open(os.path.join(files, name), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        page = os.path.join(root, "simple", project)
        os.makedirs(page)
        with open(os.path.join(page, "index.html"), "w") as f:
            f.write('<!DOCTYPE html><a href="../../files/%s#sha256=%s">%s</a>\n' % (name, digest, name))


def _quiet_handler(root):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)

        def log_message(self, *args):
            pass

    return Handler


def _pip_download(venv, home, env, url):
    directory = tempfile.mkdtemp(prefix="pip-", dir=home)
    argv = [venv.python, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--index-url", url]
    argv += ["-d", directory, *PIP_PACKAGES]
    env = scrubbed_env(home, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    process = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    downloaded = len(os.listdir(directory))
    shutil.rmtree(directory, ignore_errors=True)
    if process.returncode != 0 or downloaded != len(PIP_PACKAGES):
        raise RuntimeError("pip download failed:\n%s\n%s" % (process.stdout, process.stderr[-3000:]))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall": wall, "cpu": cpu}


def measure(venv, home, certs, origin, scratch, rounds):
    """``{"aiohttp": {state: instructions}, "pip": {state: {wall, cpu}}, ...}``."""
    configs = states(certs)
    root = os.path.join(scratch, "index")
    _index(root)
    leaf = origin.ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    # HTTP/1.0, as SimpleHTTPRequestHandler speaks it: every request is a new TLS connection.
    server = servers.TLSServer(("127.0.0.1", 0), context, _quiet_handler(root))
    url = "https://localhost:%d/simple/" % server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    aiohttp, pip = {}, {name: [] for name in configs}
    try:
        for name, (on, env) in configs.items():
            venv.switch(on=on)
            aiohttp[name] = count(venv.python, home, env, "import aiohttp")
            _pip_download(venv, home, env, url)  # untimed: warms the page cache and the bundle cache
        log("lazy: import aiohttp counted")
        names = list(configs)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                on, env = configs[name]
                venv.switch(on=on)
                pip[name].append(_pip_download(venv, home, env, url))
            log("lazy: pip round %d/%d done" % (r + 1, rounds))
    finally:
        venv.switch(on=())
        server.shutdown()
        server.server_close()
    return {
        "aiohttp": aiohttp,
        "pip": {
            name: {key: statistics.median(s[key] for s in samples) for key in ("wall", "cpu")}
            for name, samples in pip.items()
        },
        "pip_samples": pip,
        "pip_packages": len(PIP_PACKAGES),
        "rounds": rounds,
    }


def markdown(results):
    """The section for docs/benchmarks.md (``results`` as ``measure`` returned it)."""
    if not results:
        return ""
    base_count = results["aiohttp"]["baseline"]
    base_pip = results["pip"]["baseline"]
    lines = [
        "## 5. Lazy roots: aiohttp and pip",
        "",
        "Same venv, three states: *baseline* (no package; `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` = a "
        "merged bundle), *sandbox-trust* (lazy roots, the default), and sandbox-trust with "
        "`SANDBOX_TRUST_LAZY_ROOTS=0`. `import aiohttp` builds a default context at import "
        "(callgrind instructions, CA present, warm cache). `pip download --no-deps` of %d small wheels "
        "from a local HTTPS index that closes every connection (HTTP/1.0), so each of its %d requests "
        "opens a new one: wall and CPU time of the pip process, median of %d interleaved rounds."
        % (results["pip_packages"], 2 * results["pip_packages"], results["rounds"]),
        "",
        "| state | `import aiohttp` | vs baseline | pip download, wall | vs baseline | pip, CPU | vs baseline |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, instructions in results["aiohttp"].items():
        pip = results["pip"][name]
        lines.append(
            "| %s | %s | %.3fx | %.0f ms | %.2fx | %.0f ms | %.2fx |"
            % (
                name,
                format(instructions, ","),
                instructions / base_count,
                pip["wall"] * 1000,
                pip["wall"] / base_pip["wall"],
                pip["cpu"] * 1000,
                pip["cpu"] / base_pip["cpu"],
            )
        )
    return "\n".join(lines) + "\n"


# The issue's targets for lazy roots: (label, client, configuration, limit on its CPU-time ratio).
SANDBOX_TRUST = "sandbox-trust (SANDBOX_CA_CERT only)"
NO_EXPORT = "sandbox-trust, SANDBOX_TRUST_EXPORT_ENV=0"
EAGER = "sandbox-trust, SANDBOX_TRUST_LAZY_ROOTS=0"
CONNECTION_TARGETS = (
    ("urllib `urlopen` per new connection, CPU", "urllib", None, 0.25),
    ("requests Session per new connection, CPU", "requests", None, 0.25),
    ("httpx Client per new connection, CPU", "httpx", None, 1.05),
    ("reused `SSLContext` per handshake, CPU", "sslcontext", None, 1.05),
    ("requests with exports vs `SANDBOX_TRUST_EXPORT_ENV=0`, CPU", "requests", NO_EXPORT, 1.0),
)
AIOHTTP_LIMIT = 0.85


def target_rows(results):
    """Rows for the report's targets table: client CPU (and, for the loops that do the same work
    either way, instructions) per new connection, aiohttp, pip."""
    rows = []
    data = results.get("connections")
    if data and SANDBOX_TRUST in data["configs"]:
        configs = data["configs"]
        for label, client, against, limit in CONNECTION_TARGETS:
            base = configs[against or data["baseline"]].get(client)
            ours = configs[SANDBOX_TRUST].get(client)
            if base and ours:
                ratio = ours["each_cpu"] / base["each_cpu"]
                rows.append(_row(label, limit, ratio, _noise(data)))
    counted = results.get("instructions")
    if counted:
        base, ours = (counted["configs"][name] for name in counted["configs"])
        for label, client in (
            ("httpx Client per new connection, instructions", "httpx"),
            ("reused `SSLContext` per handshake, instructions", "sslcontext"),
        ):
            rows.append(_row(label, 1.05, ours[client] / base[client]))
    lazy = results.get("lazy")
    if lazy:
        ratio = lazy["aiohttp"]["sandbox-trust"] / lazy["aiohttp"]["baseline"]
        rows.append(_row("`import aiohttp`, CA present, instructions", AIOHTTP_LIMIT, ratio))
        wall = lazy["pip"]["sandbox-trust"]["wall"] / lazy["pip"]["baseline"]["wall"]
        rows.append(
            "| `pip download` of %d packages, wall | report | %.2fx | | | |" % (lazy["pip_packages"], wall)
        )
    return rows


def _noise(data):
    """The spread of the reused-context loop's CPU time where every configuration does the same work."""
    same = [
        row["sslcontext"]["each_cpu"]
        for name, row in data["configs"].items()
        if "sslcontext" in row and (name == data["baseline"] or name.startswith(("sandbox-trust", "certifi")))
    ]
    return max(same) / min(same) - 1 if len(same) > 1 else 0.0


def _row(label, limit, ratio, noise=0.0):
    if ratio <= limit:
        met = "yes"
    elif ratio <= limit * (1 + noise):
        met = "within this run's noise (%.0f%%)" % (100 * noise)
    else:
        met = "**no**"
    return "| %s | %.2fx | %.3fx | | | %s |" % (label, limit, ratio, met)


def figures(results):
    """What the lazy-roots panel draws: CPU per new connection and the aiohttp and pip ratios."""
    data = results.get("connections")
    if not data:
        return None
    configs = data["configs"]
    base = configs[data["baseline"]]
    clients = list(base)
    series = {
        name: [row[c]["each_cpu"] / base[c]["each_cpu"] for c in clients]
        for name, row in configs.items()
        if name != data["baseline"] and name != NO_EXPORT
    }
    lazy = results.get("lazy")
    if lazy:
        clients = clients + ["import aiohttp", "pip download"]
        states = {SANDBOX_TRUST: "sandbox-trust", EAGER: EAGER}  # connection config -> lazy state
        for name, values in series.items():
            state = states.get(name)
            if state:
                values.append(lazy["aiohttp"][state] / lazy["aiohttp"]["baseline"])
                values.append(lazy["pip"][state]["wall"] / lazy["pip"]["baseline"]["wall"])
            else:
                values += [float("nan"), float("nan")]
    # The colours of the connections panel, which draws every configuration but the baseline.
    others = [name for name in configs if name != data["baseline"]]
    return {"clients": clients, "series": series, "colors": {name: others.index(name) for name in series}}


def panel(ax, figs, label_bars, legend_below):
    """Per client, each configuration over plain Python with the CA variables, log scale."""
    data = figs["lazy"]
    series, clients = data["series"], data["clients"]
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        x = [k + (i - (len(series) - 1) / 2) * width for k in range(len(clients))]
        bars = ax.bar(x, values, width, label=name, color="C%d" % data["colors"][name])
        label_bars(ax, bars, ["" if v != v else "%.2f" % v for v in values], size=6)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylim(top=ax.get_ylim()[1] * 2.5)
    ax.set_xticks(range(len(clients)))
    ax.set_xticklabels([c.replace(" ", "\n", 1) for c in clients], fontsize=8)
    ax.set_ylabel("vs plain Python + CA variables (log)")
    ax.set_title("lazy roots: CPU per new connection; aiohttp import instructions; pip wall", fontsize=10)
    legend_below(ax)
