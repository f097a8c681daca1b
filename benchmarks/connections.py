"""New HTTPS connections per second, timed in-process, against a local TLS server.

Rounds are interleaved (each round runs every configuration once, in a rotated order) and each
figure is the median over rounds of the mean time per connection, so a burst of load from the
other users of this machine lands on all configurations alike.
"""

import statistics
import subprocess

from lab import CLIENTS, last_json, log, scrubbed_env, with_system_bundle
from startup import count_argv

BASELINE = "baseline: no package, SSL_CERT_FILE + REQUESTS_CA_BUNDLE = merged bundle"


def configurations(certs, bind_mount):
    """name -> (distributions on, extra env, system bundle replaced by the merged one, truststore)."""
    merged = {"SSL_CERT_FILE": certs.merged_path, "REQUESTS_CA_BUNDLE": certs.merged_path}
    # The alternatives trust the system store only: the CA goes into it (privately), else through
    # the variables.
    system = ({}, True) if bind_mount else (merged, False)
    configs = {
        BASELINE: ((), merged, False, False),
        "sandbox-trust (SANDBOX_CA_CERT only)": (
            ("sandbox-trust",),
            {"SANDBOX_CA_CERT": certs.ca_path},
            False,
            False,
        ),
        "sandbox-trust, SANDBOX_TRUST_EXPORT_ENV=0": (
            ("sandbox-trust",),
            {"SANDBOX_CA_CERT": certs.ca_path, "SANDBOX_TRUST_EXPORT_ENV": "0"},
            False,
            False,
        ),
        "sandbox-trust, SANDBOX_TRUST_LAZY_ROOTS=0": (
            ("sandbox-trust",),
            {"SANDBOX_CA_CERT": certs.ca_path, "SANDBOX_TRUST_LAZY_ROOTS": "0"},
            False,
            False,
        ),
        "pip-system-certs 5.3": (("pip-system-certs",), system[0], system[1], False),
        "certifi-linux 1.1": (("certifi-linux",), system[0], system[1], False),
        "truststore.inject_into_ssl()": ((), system[0], system[1], True),
    }
    return configs


def _run_child(venv, home, certs, url, count, budget, name, config):
    on, env, bind, truststore = config
    venv.switch(on=on)
    argv = [venv.python, CLIENTS, "connect", url, str(count), str(budget)] + (
        ["truststore"] if truststore else []
    )
    if bind:
        argv = with_system_bundle(argv, certs.merged_path)
    process = subprocess.run(argv, env=scrubbed_env(home, **env), capture_output=True, text=True, timeout=300)
    result = last_json(process.stdout)
    if process.returncode != 0 or result is None:
        raise RuntimeError(
            "connection run failed (%s):\n%s\n%s" % (name, process.stdout, process.stderr[-3000:])
        )
    return result


def measure(venv, home, certs, url, bind_mount, rounds, count, budget):
    configs = configurations(certs, bind_mount)
    names = list(configs)
    samples = {name: [] for name in names}
    try:
        for name in names:  # untimed: warms the page cache and sandbox-trust's bundle cache
            _run_child(venv, home, certs, url, 1, 0, name, configs[name])
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                samples[name].append(_run_child(venv, home, certs, url, count, budget, name, configs[name]))
            log("connections: round %d/%d done" % (r + 1, rounds))
    finally:
        venv.switch(on=())
    results = {}
    for name in names:
        results[name] = {
            client: {
                key: statistics.median(s[client][key] for s in samples[name])
                for key in ("each", "each_cpu", "first", "first_cpu", "n")
            }
            for client in samples[name][0]
        }
    return {
        "baseline": BASELINE,
        "configs": results,
        "samples": samples,
        "rounds": rounds,
        "count": count,
        "budget": budget,
        "system_store": "bind-mounted merged bundle" if bind_mount else "SSL_CERT_FILE/REQUESTS_CA_BUNDLE",
    }


# The loops that do the same work with and without the package, counted instead of timed: CPU time
# per connection moves by 10-20% between rounds here, an instruction count does not.
COUNTED_CLIENTS = ("httpx", "sslcontext")
COUNTED = (5, 25)  # connections after the first: the difference is per-connection work alone


def instructions(venv, home, certs, url):
    """``{configuration: {client: instructions per new connection}}``, callgrind, baseline vs package."""
    configs = configurations(certs, False)
    found = {}
    try:
        for name in (BASELINE, "sandbox-trust (SANDBOX_CA_CERT only)"):
            on, env, _bind, _truststore = configs[name]
            venv.switch(on=on)
            found[name] = {}
            for client in COUNTED_CLIENTS:
                low, high = (
                    count_argv([venv.python, CLIENTS, "handshakes", url, client, str(n)], home, env)
                    for n in COUNTED
                )
                found[name][client] = (high - low) / (COUNTED[1] - COUNTED[0])
                log("instructions: %s %s %.0f per connection" % (name, client, found[name][client]))
    finally:
        venv.switch(on=())
    return {"baseline": BASELINE, "configs": found, "counted": COUNTED}
