"""Run requests' and httpx's own test suites with and without sandbox-trust; the outcomes must agree.

The isolation rule: a library in a process where sandbox-trust is active (a CA present, exports on)
does exactly what it would do without the package, plus the CA. For each suite, one venv holds the
library, its test requirements (pinned in ``peers/requirements-<suite>.txt``) and the built wheel;
the suite (``tests/`` of the library's sdist, the library's own source removed so the installed
wheel is what runs) is run twice in a scrubbed environment with ``SANDBOX_CA_CERT`` naming a
throwaway CA:

- ``with``: sandbox-trust installed, so its ``.pth`` runs, patches and exports;
- ``without``: the same venv after ``pip uninstall sandbox-trust``.

Per-test outcomes (passed, failed, error, skipped, xfailed, xpassed) are compared; tests that
disagree are rerun once in both states, and a difference that does not come back is reported as
flaky. Exit 1 on any difference that does.

    python peers/compare.py [--suite requests|httpx] [--python 3.11] [--work DIR]
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)  # the tests' harness builds the wheel and knows this machine's install settings
from tests.harness import PIP_QUIET, build_wheel, find_python, install_env, scrubbed_env  # noqa: E402 - after the path it needs

PLUGIN = os.path.join(HERE, "peer_outcomes.py")
STATE_PROBE = os.path.join(HERE, "state_probe.py")
WORK = os.environ.get("SANDBOX_TRUST_PEERS_WORK") or os.path.join(
    tempfile.gettempdir(), "sandbox-trust-peers"
)

# suite -> the folder of its sdist that holds the library itself (removed: the wheel is tested)
SUITES = {"requests": "src", "httpx": "httpx"}
STATES = ("with", "without")
# No .pytest_cache left in the suite, no random order, the slowest tests in the log, our reporter.
PYTEST_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-q", "--durations=5", "-p", "peer_outcomes")
# Upstream tests that fail at random in either state (a garbage-collected async generator turns
# into PytestUnraisableExceptionWarning): seen failing without the package in one CI run and with it,
# twice in a row, in the next. They cannot tell the states apart.
FLAKY = {"httpx": ("tests/test_timeouts.py::test_write_timeout[trio]",)}


def log(message):
    sys.stderr.write("[peers] %s\n" % message)
    sys.stderr.flush()


def resolve_python(spec):
    """``3.11`` -> pyenv's (or PATH's) interpreter of that version; a path is taken as it is."""
    found = find_python(spec)
    if found is None:
        raise SystemExit("no interpreter found for --python %s" % spec)
    return found


def pinned_version(requirements, name):
    with open(requirements) as f:
        for line in f:
            if line.lower().startswith(name + "=="):
                return line.split("==", 1)[1].split(";")[0].strip()
    raise SystemExit("%s is not pinned in %s" % (name, requirements))


def make_ca(path):
    import trustme  # only the runner needs it; the suites' venvs have their own

    trustme.CA().cert_pem.write_to_path(path)
    return path


class Suite:
    def __init__(self, name, python, work, inject=()):
        self.name = name
        self.requirements = os.path.join(HERE, "requirements-%s.txt" % name)
        self.version = pinned_version(self.requirements, name)
        self.venv = os.path.join(work, "venv-" + name)
        self.python = os.path.join(self.venv, "bin", "python")
        self.source = os.path.join(work, "suite-%s-%s" % (name, self.version))
        self.home = os.path.join(work, "home-" + name)
        self.results = os.path.join(work, "results-" + name)
        self._interpreter = python
        self._work = work
        self.inject = dict(inject)  # added to the "with" runs only: the negative control
        self.exported = {}
        self._state = None  # unknown until set: an interrupted run may have left either

    def pip(self, *args):
        subprocess.run(
            [self.python, "-m", "pip", "-q", *args], check=True, env=install_env(), stdout=subprocess.DEVNULL
        )

    def prepare_venv(self):
        """A venv with the pinned requirements; recreated only when the pins or the Python change."""
        with open(self.requirements, "rb") as f:
            key = hashlib.sha256(f.read() + self._interpreter.encode()).hexdigest()
        marker = os.path.join(self.venv, ".peers-ready")
        if os.path.exists(marker) and open(marker).read() == key:
            return False
        log("creating %s (%s)" % (self.venv, self._interpreter))
        shutil.rmtree(self.venv, ignore_errors=True)
        subprocess.run([self._interpreter, "-m", "venv", self.venv], check=True)
        self.pip("install", "-r", self.requirements)
        with open(marker, "w") as f:
            f.write(key)
        return True

    def prepare_source(self):
        """The suite from the library's sdist on PyPI, without the library's own source tree."""
        if os.path.isdir(self.source):
            return
        downloads = os.path.join(self._work, "sdists")
        spec = "%s==%s" % (self.name, self.version)
        log("downloading the sdist of %s" % spec)
        download = ["download", "-q", "--no-binary", ":all:", "--no-deps", "-d", downloads, spec]
        subprocess.run(
            [self.python, "-m", "pip", *download],
            check=True,
            env=install_env(),
            stdout=subprocess.DEVNULL,
        )
        (archive,) = [n for n in os.listdir(downloads) if n.startswith("%s-%s." % (self.name, self.version))]
        unpacked = self.source + ".tmp"
        shutil.rmtree(unpacked, ignore_errors=True)
        with tarfile.open(os.path.join(downloads, archive)) as tar:
            tar.extractall(unpacked, filter="data")
        (top,) = os.listdir(unpacked)
        tree = os.path.join(unpacked, top)
        if not os.path.isdir(os.path.join(tree, "tests")):
            raise SystemExit("the sdist of %s has no tests/" % spec)
        shutil.rmtree(os.path.join(tree, SUITES[self.name]))
        shutil.copy(PLUGIN, tree)
        os.rename(tree, self.source)
        shutil.rmtree(unpacked)

    def set_state(self, state, wheel):
        if state == self._state:
            return
        if state == "with":
            self.pip("install", "--force-reinstall", "--no-deps", "--no-index", wheel)
        else:
            self.pip("uninstall", "-y", "sandbox-trust")
        self._state = state

    def env(self, state, ca):
        extra = dict(SANDBOX_CA_CERT=ca)
        if state == "with":
            extra.update(self.inject)
        return scrubbed_env(
            self.home, **dict(PIP_QUIET, **extra)
        )  # nothing of this machine's CA, pip or Python settings

    def check_state(self, state, ca):
        """The state is what it claims: with, the package ran at start and children get its exports.

        Returns ``{"process": {...}, "child": {...}}``: the variables the suite's interpreter and a
        child of it have that the suite's environment did not.
        """
        shutil.rmtree(self.home, ignore_errors=True)
        os.makedirs(self.home)
        env = self.env(state, ca)
        probe = subprocess.run(
            [self.python, STATE_PROBE], capture_output=True, text=True, env=env, cwd=self.home, check=True
        )
        seen = json.loads(probe.stdout)
        added = {
            where: {k: v for k, v in seen[where].items() if env.get(k) != v} for where in ("process", "child")
        }
        active = seen["boot"] and bool(added["child"])
        inactive = not (seen["boot"] or added["child"] or added["process"])
        if not (active if state == "with" else inactive):
            raise SystemExit("%s %s: the state is not what it claims: %s" % (self.name, state, probe.stdout))
        return added

    def run(self, state, ca, tag, nodeids=()):
        """One pytest run of the suite: ``{nodeid: (outcome, message)}``, (wall, CPU seconds)."""
        out = os.path.join(self.results, "%s-%s.jsonl" % (tag, state))
        os.makedirs(self.results, exist_ok=True)
        self.exported[state] = self.check_state(state, ca)
        deselect = [option for nodeid in FLAKY.get(self.name, ()) for option in ("--deselect", nodeid)]
        args = [self.python, "-m", "pytest", *PYTEST_OPTIONS, *deselect, "--peer-outcomes", out]
        args += nodeids or ["tests"]
        started, before = time.monotonic(), os.times()
        # cwd is the unpacked sdist: `python -m pytest` puts it on sys.path, so the plugin imports
        process = subprocess.run(
            args, cwd=self.source, env=self.env(state, ca), capture_output=True, text=True
        )
        after = os.times()
        elapsed = (
            time.monotonic() - started,
            after.children_user + after.children_system - before.children_user - before.children_system,
        )
        with open(os.path.join(self.results, "%s-%s.log" % (tag, state)), "w") as f:
            f.write(process.stdout + process.stderr)
        if process.returncode not in (0, 1):
            tail = (process.stdout + process.stderr).strip().splitlines()[-15:]
            raise SystemExit(
                "%s %s: pytest exited %d\n%s" % (self.name, state, process.returncode, "\n".join(tail))
            )
        return fold(out), elapsed


def fold(path):
    """Phases -> one outcome per test, as pytest's summary counts them (+error for a teardown error)."""
    outcomes = {}
    if not os.path.exists(path):
        return outcomes
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            node = r["nodeid"]
            if r["when"] == "setup":
                if r["outcome"] == "failed":
                    outcomes[node] = ("error", r["message"])
                elif r["outcome"] == "skipped":
                    outcomes[node] = ("xfailed" if r["xfail"] else "skipped", "")
            elif r["when"] == "call":
                if r["outcome"] == "passed":
                    outcomes[node] = ("xpassed" if r["xfail"] else "passed", "")
                elif r["outcome"] == "failed":
                    outcomes[node] = ("failed", r["message"])
                else:
                    outcomes[node] = ("xfailed" if r["xfail"] else "skipped", "")
            elif r["outcome"] == "failed":
                outcome, message = outcomes.get(node, ("passed", ""))
                outcomes[node] = (outcome + "+error", message or r["message"])
    return outcomes


def differences(a, b):
    return sorted(n for n in set(a) | set(b) if a.get(n, ("absent",))[0] != b.get(n, ("absent",))[0])


def compare_suite(suite, wheel, ca):
    shutil.rmtree(suite.results, ignore_errors=True)  # no rerun files of an earlier run
    runs, seconds = {}, {}
    for state in STATES:
        suite.set_state(state, wheel)
        runs[state], seconds[state] = suite.run(state, ca, "full")
        log("%s %s: %d tests in %.1f s (%.1f s CPU)" % (suite.name, state, len(runs[state]), *seconds[state]))
    first = differences(runs["with"], runs["without"])
    confirmed, flaky = [], []
    if first:
        log("%s: rerunning %d disagreeing tests once in both states" % (suite.name, len(first)))
        rerun = {}
        for state in ("without", "with"):  # the venv is in "without" now; leave it with the package
            suite.set_state(state, wheel)
            rerun[state], _ = suite.run(state, ca, "rerun", first)
        again = set(differences(rerun["with"], rerun["without"]))
        for node in first:
            (confirmed if node in again else flaky).append(node)
    else:
        suite.set_state("with", wheel)
    return runs, seconds, confirmed, flaky


def report(suite, runs, seconds, confirmed, flaky):
    lines = ["", "## %s %s (%s)" % (suite.name, suite.version, os.path.basename(suite._interpreter))]
    names = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
    counts = {s: {} for s in STATES}
    for state in STATES:
        for outcome, _ in runs[state].values():
            counts[state][outcome] = counts[state].get(outcome, 0) + 1
    extra = sorted({o for s in STATES for o in counts[s]} - set(names))
    lines.append("")
    lines.append("| outcome | with sandbox-trust | without |")
    lines.append("|---|--:|--:|")
    for outcome in names + tuple(extra):
        lines.append(
            "| %s | %d | %d |" % (outcome, counts["with"].get(outcome, 0), counts["without"].get(outcome, 0))
        )
    lines.append("| seconds | %.1f | %.1f |" % (seconds["with"][0], seconds["without"][0]))
    lines.append("| CPU seconds | %.1f | %.1f |" % (seconds["with"][1], seconds["without"][1]))
    lines.append("")
    for where, label in (("process", "the suite's own process"), ("child", "a child of it")):
        for state in STATES:
            names = sorted(suite.exported.get(state, {}).get(where, {}))
            lines.append("set for %s at start, %s: %s" % (label, state, ", ".join(names) or "nothing"))
    lines.append("")
    for title, nodes in (("disagreements", confirmed), ("flaky (disagreed once, agreed on rerun)", flaky)):
        lines.append("%s: %d" % (title, len(nodes)))
        for node in nodes:
            w = runs["with"].get(node, ("absent", ""))
            wo = runs["without"].get(node, ("absent", ""))
            lines.append("- `%s`: with %s, without %s" % (node, w[0], wo[0]))
            for label, (_, message) in (("with", w), ("without", wo)):
                if message:
                    lines.append("  - %s: %s" % (label, message))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", action="append", choices=sorted(SUITES), help="default: all")
    parser.add_argument("--python", default=sys.executable, help="3.11 or a path; default: this interpreter")
    parser.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="negative control: set this in the 'with' runs only, to see the comparison catch a leak",
    )
    parser.add_argument("--work", default=WORK, help="venvs, sdists and results (default %(default)s)")
    args = parser.parse_args(argv)
    python = os.path.realpath(resolve_python(args.python))  # a venv's python -> its base
    started = time.monotonic()
    os.makedirs(args.work, exist_ok=True)
    wheel = build_wheel(os.path.join(args.work, "wheel"))
    ca = make_ca(os.path.join(args.work, "ca.pem"))
    failed = False
    out = []
    for name in args.suite or sorted(SUITES):
        inject = [item.split("=", 1) for item in args.inject]
        suite = Suite(name, python, args.work, inject)
        suite.prepare_venv()
        suite.prepare_source()
        runs, seconds, confirmed, flaky = compare_suite(suite, wheel, ca)
        out.append(report(suite, runs, seconds, confirmed, flaky))
        failed = failed or bool(confirmed)
    print("\n".join(out))
    print("\ntotal %.0f s; results and logs in %s" % (time.monotonic() - started, args.work))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
