"""Cold-cache stampede: 40 interpreters start at once with an empty private cache and the CA present.

Each makes one trusted urllib request and checks that the SSL_CERT_FILE it exported is a merged
bundle in that cache holding the CA. Compared with the same 40 starts once the cache is warm.
"""

import os
import statistics
import subprocess
import time

from lab import CLIENTS, last_json, log, private_dir, scrubbed_env


def _wave(venv, home, certs, url, cache, n):
    env = scrubbed_env(home, SANDBOX_CA_CERT=certs.ca_path, SANDBOX_TRUST_CACHE_DIR=cache)
    argv = [venv.python, CLIENTS, "stampede", url, certs.ca_path]
    start = time.perf_counter()
    children = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    wall = time.perf_counter() - start
    ok, problems = 0, []
    for child, (out, err) in zip(children, outputs):
        result = last_json(out) or {"error": "no output"}
        if child.returncode == 0 and result.get("ok") and not err.strip():
            ok += 1
        else:
            problems.append(
                (result.get("error") or "export missing")
                + (" | stderr: " + err.strip() if err.strip() else "")
            )
    return wall, ok, problems


def _cache_contents(cache):
    names = os.listdir(cache)
    return {
        "bundles": sum(n.startswith("bundle-") for n in names),
        "index links": sum(n.startswith("index-") for n in names),
        "leftover temporaries": sum(n.startswith(".tmp-") for n in names),
        "mode": oct(os.stat(cache).st_mode & 0o777),
    }


def measure(venv, home, certs, url, work, rounds, n=40):
    venv.switch(on=("sandbox-trust",))
    cold, warm, failures, contents = [], [], [], None
    try:
        for r in range(rounds):
            cache = private_dir(work, "stampede-cache-")
            wall, ok, problems = _wave(venv, home, certs, url, cache, n)
            cold.append(wall)
            failures.append(("cold", n - ok, problems[:3]))
            contents = _cache_contents(cache)
            wall, ok, problems = _wave(venv, home, certs, url, cache, n)
            warm.append(wall)
            failures.append(("warm", n - ok, problems[:3]))
            log("stampede: round %d/%d: cold %.2f s, warm %.2f s" % (r + 1, rounds, cold[-1], warm[-1]))
    finally:
        venv.switch(on=())
    return {
        "n": n,
        "rounds": rounds,
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "failed": sum(f[1] for f in failures),
        "problems": [p for f in failures for p in f[2]],
        "cache": contents,
    }
