"""Late CA pickup: interception declared, CA absent; how soon after it lands is it trusted?

The child creates a client context (which waits for the CA) and records when that wait ended; the
parent writes the CA 50-300 ms after the child is ready, atomically, and notes when. The reference
is the runtime's own loader, which looks every 100 ms (the same harness, a 100 ms poll loop).
"""

import os
import random
import shutil
import statistics
import subprocess
import time

from lab import CLIENTS, last_json, private_dir, scrubbed_env


def _once(venv, home, certs, work, mode, torn, extra):
    directory = private_dir(work, "late-")
    ca_path = os.path.join(directory, "ca.pem")
    env = {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": ca_path, "SANDBOX_TRUST_TIMEOUT": "10", **extra}
    child = subprocess.Popen(
        [venv.python, CLIENTS, "late", ca_path, mode],
        env=scrubbed_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("late child did not start: %s" % child.stderr.read())
        time.sleep(random.uniform(0.05, 0.3))
        if torn:  # the runtime copying the file: first half, a pause, the rest (no rename)
            half = len(certs.ca_pem) // 2
            with open(ca_path, "wb") as f:
                f.write(certs.ca_pem[:half])
                f.flush()
                time.sleep(0.02)
                f.write(certs.ca_pem[half:])
        else:
            with open(ca_path + ".tmp", "wb") as f:
                f.write(certs.ca_pem)
            os.replace(ca_path + ".tmp", ca_path)
        landed = time.monotonic()
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        shutil.rmtree(directory, ignore_errors=True)
    result = last_json(out)
    if child.returncode != 0 or result is None:
        raise RuntimeError("late child failed: %s" % err[-2000:])
    return (result["end"] - landed) * 1000.0, result["trusted"], err.strip()


def _percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def measure(venv, home, certs, work, runs):
    venv.switch(on=("sandbox-trust",))
    results = {}
    try:
        no_export = {"SANDBOX_TRUST_EXPORT_ENV": "0"}
        for label, mode, torn, extra, n in (
            ("sandbox-trust, atomic write", "sandbox", False, {}, runs),
            ("sandbox-trust, atomic write, SANDBOX_TRUST_EXPORT_ENV=0", "sandbox", False, no_export, runs),
            ("sandbox-trust, torn write (half, 20 ms, rest)", "sandbox", True, {}, max(5, runs // 2)),
            ("reference: 100 ms poll loop", "poll100", False, {}, runs),
        ):
            lags, trusted, stderr = [], 0, set()
            for _ in range(n):
                lag, ok, err = _once(venv, home, certs, work, mode, torn, extra)
                lags.append(lag)
                trusted += bool(ok)
                if err:
                    stderr.add(err)
            results[label] = {
                "runs": n,
                "trusted": trusted,
                "p50": _percentile(lags, 50),
                "p95": _percentile(lags, 95),
                "max": max(lags),
                "mean": statistics.mean(lags),
                "stderr": sorted(stderr),
            }
    finally:
        venv.switch(on=())
    return results
