"""sandbox-trust benchmark suite: ``python3 benchmarks/run.py [--quick] [--python 3.11 --python 3.13]``.

Builds the wheel from this checkout, creates its venvs under /tmp/sandbox-trust-bench (its own, not
the tests' cache), prints tables and writes docs/benchmarks.md and docs/benchmarks.png. Needs
valgrind for the start-up counts (skipped with a note without it) and, for the driver itself,
trustme and matplotlib (the ``benchmark`` extra): without them it makes its own driver venv.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DRIVER_REQUIREMENTS = ("trustme>=1.1", "matplotlib>=3.8")  # the `benchmark` extra


def ensure_driver(work):
    """Re-run under a driver venv with trustme and matplotlib when this interpreter lacks them."""
    try:
        import matplotlib  # noqa: F401
        import trustme  # noqa: F401

        return
    except ImportError:
        pass
    driver = os.path.join(work, "driver")
    python = os.path.join(driver, "bin", "python")
    if not os.path.exists(os.path.join(driver, ".ready")):
        subprocess.run([sys.executable, "-m", "venv", "--clear", driver], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *DRIVER_REQUIREMENTS], check=True)
        open(os.path.join(driver, ".ready"), "w").close()
    os.execv(python, [python, *sys.argv])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer commands, rounds and runs (~3 min)")
    parser.add_argument(
        "--python",
        action="append",
        help="interpreter version or path (repeatable; default 3.11); "
        "start-up is counted on each, everything else runs on the first",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel callgrind runs (one venv copy each)")
    parser.add_argument("--work", default="/tmp/sandbox-trust-bench", help="venvs, wheel and scratch files")
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("startup", "connections", "latency", "stampede", "lazy"),
    )
    parser.add_argument(
        "--report-only", action="store_true", help="re-render the report from the last results.json"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.work, exist_ok=True)
    ensure_driver(args.work)
    sys.path.insert(0, HERE)
    import connections
    import lab
    import latency
    import lazy
    import stampede
    import startup

    if args.report_only:
        with open(os.path.join(args.work, "results.json")) as f:
            return write_report(json.load(f), args.output)
    started = time.monotonic()
    pythons = [lab.resolve_python(spec) for spec in (args.python or ["3.11"])]
    wheel = lab.build_wheel(os.path.join(args.work, "wheel"))
    home = os.path.join(args.work, "home")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home, mode=0o700)
    scratch = lab.private_dir(args.work, "run-")
    results = {
        "quick": args.quick,
        "argv": " ".join(["python3", "benchmarks/run.py"] + sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "startup": [],
        "versions": {},
    }
    venvs = []
    try:
        with lab.servers.Origin(scratch) as origin:
            certs = lab.Certificates(scratch, origin.ca_path)
            for python in pythons:
                tag = os.path.basename(os.path.dirname(os.path.dirname(python))) or "python"
                copies = [
                    lab.Venv(os.path.join(args.work, "venv-%s-%s" % (tag, "abcdefgh"[i])), python, wheel)
                    for i in range(max(1, args.jobs))
                ]
                venvs.extend(copies)
                results["versions"][copies[0].version] = copies[0].dist_versions()
                if "startup" in args.skip:
                    continue
                if not shutil.which("valgrind"):
                    lab.log("valgrind not found: start-up counts skipped (apt-get install valgrind)")
                    results["startup_skipped"] = "valgrind not installed"
                    continue
                results["startup"] += startup.measure(copies, home, certs, args.quick)
            main_venv = venvs[0]
            results["python"] = main_venv.version
            if "connections" not in args.skip:
                bind = lab.can_bind_mount()
                rounds, count, budget = (3, 10, 0.2) if args.quick else (7, 100, 0.5)
                results["connections"] = connections.measure(
                    main_venv, home, certs, origin.url, bind, rounds, count, budget
                )
                if shutil.which("valgrind"):
                    results["instructions"] = connections.instructions(main_venv, home, certs, origin.url)
            if "latency" not in args.skip:
                results["latency"] = latency.measure(main_venv, home, certs, scratch, 8 if args.quick else 20)
            if "stampede" not in args.skip:
                results["stampede"] = stampede.measure(
                    main_venv, home, certs, origin.url, scratch, 1 if args.quick else 2
                )
            if "lazy" not in args.skip:
                results["lazy"] = lazy.measure(
                    main_venv, home, certs, origin, scratch, 3 if args.quick else 7
                )
    finally:
        for venv in venvs:
            venv.close()
        shutil.rmtree(scratch, ignore_errors=True)
    results["duration"] = time.monotonic() - started
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_report(results, args.output)
    lab.log("done in %.0f s: %s" % (results["duration"], args.output))


def write_report(results, output):
    import report

    image = os.path.splitext(output)[0] + ".png"
    debian = None
    if os.path.basename(output) == "benchmarks.md":  # the main report carries the Debian ones
        debian = {}
        for version in ("3.14", "3.15"):
            path = os.path.join(os.path.dirname(output), "benchmarks-%s.md" % version)
            debian[version] = None
            if os.path.exists(path):
                with open(path) as f:
                    debian[version] = f.read()
    text = report.markdown(results, os.path.basename(image), debian)
    report.chart(results, image)
    with open(output, "w") as f:
        f.write(text)
    print(text)


def machine():
    import platform
    import ssl

    return {
        "cores": os.cpu_count(),
        "load": os.getloadavg()[0],
        "platform": platform.platform(),
        "openssl": ssl.OPENSSL_VERSION,
    }


if __name__ == "__main__":
    main()
