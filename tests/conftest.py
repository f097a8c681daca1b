"""The real thing: the built wheel in fresh venvs, real clients, real TLS servers, scrubbed envs.

Fixtures:
- ``wheel``: sandbox-trust built once per session from this checkout.
- ``make_venv(*packages)``: a fresh venv (cached per package set) with the wheel installed; the
  packages at the versions of tests/constraints.txt (the newest with SANDBOX_TRUST_TEST_LATEST=1).
- ``core_venv``: the venv with the core client libraries (see CORE_CLIENTS).
- ``intercept``/``unrelated``: HTTPS origins whose leaves are minted by two unrelated throwaway CAs.
- ``run``: run a probe or a script (tests/scripts) in a venv's interpreter with an explicit, minimal env.
- ``trio``: the trusted / opted-out / unrelated-CA cases every positive test comes with.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

import pytest

from tests import harness, servers
from tests.harness import PROBES, ROOT, install_env  # noqa: F401 - re-exported for test modules

WORK = os.environ.get("SANDBOX_TRUST_TEST_WORK") or os.path.join(tempfile.gettempdir(), "sandbox-trust-tests")
# Venvs of another wheel (an earlier code change) that no session holds and none used for this
# many seconds are removed when a session starts: each code change makes ~900 MB of new venvs.
PRUNE_AFTER = float(os.environ.get("SANDBOX_TRUST_TEST_PRUNE_AFTER") or 3600)
# Venvs named without a wheel digest (an older conftest) carry no lock: removed after a day.
PRUNE_UNNAMED_AFTER = 86400

# Every package a test venv installs, at the version it was last tested with: a result changes
# only with a code change or a pin changed on purpose (`nox -s tests-latest` tries the newest).
CONSTRAINTS = os.path.join(ROOT, "tests", "constraints.txt")
LATEST = os.environ.get("SANDBOX_TRUST_TEST_LATEST") == "1"

# The core client libraries.
CORE_CLIENTS = ("requests", "urllib3", "httpx", "aiohttp", "websockets", "certifi", "pip")
# Clients beyond the core (tests/test_more_clients.py); one spelling, so their venv is cached once.
MORE_CLIENTS = ("boto3", "tornado", "openai", "httpx2", "grpcio", "grpcio-health-checking", "pycurl")
PIP_QUIET = harness.PIP_QUIET


def scrubbed_env(home, **extra):
    """A minimal environment: nothing of this machine's CA variables, pip or Python settings."""
    return harness.scrubbed_env(home, **dict(PIP_QUIET, **extra))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    return harness.build_wheel(str(tmp_path_factory.mktemp("wheel")))


class Venv:
    def __init__(self, path):
        self.path = path
        self.python = os.path.join(path, "bin", "python")
        self.bin = os.path.join(path, "bin")
        self.site_packages = harness.site_packages(self.python)

    def pip(self, *args):
        return harness.pip(self.python, *args)


def _project_name(requirement):
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def constraints_for(packages):
    """tests/constraints.txt's text, less the packages asked for at a version of their own
    (``requests==2.32.0``); None with SANDBOX_TRUST_TEST_LATEST=1."""
    if LATEST:
        return None
    chosen = {_project_name(package) for package in packages if "==" in package}
    with open(CONSTRAINTS) as f:
        lines = [line for line in f.read().splitlines() if _project_name(line) not in chosen]
    return "\n".join(lines) + "\n"


def _create_venv(path, wheel, packages, python, constraints):
    os.makedirs(WORK, exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test runs share WORK
        return _create_venv_locked(path, wheel, packages, python, constraints)


def _create_venv_locked(path, wheel, packages, python, constraints):
    marker = os.path.join(path, ".ready")
    if os.path.exists(marker):
        return Venv(path)
    pinned = []
    if constraints is not None:
        with open(path + ".constraints.txt", "w") as f:
            f.write(constraints)
        pinned = ["-c", path + ".constraints.txt"]
    harness.new_venv(path, python, *pinned)
    venv = Venv(path)
    venv.pip("install", "-q", *pinned, wheel, *packages)
    open(marker, "w").close()
    return venv


def _hold(digest):
    """Mark this wheel's venvs in use until the session ends: a shared lock that prune() respects."""
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "in-use-%s.lock" % digest)
    while True:
        f = open(path, "a")
        fcntl.flock(f, fcntl.LOCK_SH)
        try:
            if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:  # not removed while we waited
                os.utime(f.fileno())  # last used: now
                return f
        except FileNotFoundError:
            pass
        f.close()


def prune(keep, now=None):
    """Remove the venvs of other wheels: those no session holds and none used for PRUNE_AFTER."""
    now = time.time() if now is None else now
    names = os.listdir(WORK)
    for name in names:
        held = re.fullmatch(r"in-use-([0-9a-f]{12})\.lock", name)
        if held and held.group(1) != keep:
            _prune_digest(held.group(1), os.path.join(WORK, name), names, now)
        if re.fullmatch(r"venv-[0-9a-f]{12}(\.lock)?", name):
            path = os.path.join(WORK, name)
            try:
                if now - os.lstat(path).st_mtime > PRUNE_UNNAMED_AFTER:
                    _remove(path)
            except FileNotFoundError:
                pass


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.unlink(path)


def _prune_digest(digest, lock_path, names, now):
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return
    with os.fdopen(fd, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a session is using these venvs
        if now - os.fstat(f.fileno()).st_mtime < PRUNE_AFTER:
            return
        for name in names:
            if name.startswith("venv-%s-" % digest):
                _remove(os.path.join(WORK, name))
        os.unlink(lock_path)  # while locked: a session waiting for it sees the inode change


@pytest.fixture(scope="session")
def make_venv(wheel):
    """``make_venv(*packages, python=sys.executable, with_package=True)``: cached by contents.

    Named ``venv-<wheel digest>-<key>`` in WORK; the venvs of other wheels are pruned first.
    """
    with open(wheel, "rb") as f:
        wheel_digest = hashlib.sha256(f.read()).hexdigest()[:12]
    in_use = _hold(wheel_digest)
    prune(keep=wheel_digest)

    def make(*packages, python=sys.executable, with_package=True):
        constraints = constraints_for(packages)
        key = hashlib.sha256(repr((packages, python, with_package, constraints)).encode()).hexdigest()[:12]
        path = os.path.join(WORK, "venv-%s-%s" % (wheel_digest, key))
        venv = _create_venv(path, wheel, packages, python, constraints)
        if not with_package:
            venv.pip("uninstall", "-q", "-y", "sandbox-trust")
        return venv

    yield make
    in_use.close()


@pytest.fixture(scope="session")
def core_venv(make_venv):
    return make_venv(*CORE_CLIENTS)


@pytest.fixture(scope="session")
def intercept(tmp_path_factory):
    """The sandbox's interceptor: a throwaway CA (the one injected) and an origin it signed."""
    with servers.Origin(tmp_path_factory.mktemp("intercept")) as origin:
        yield origin


@pytest.fixture(scope="session")
def private(tmp_path_factory):
    """An origin signed by the user's own CA: what their variables and an app's settings name."""
    with servers.Origin(tmp_path_factory.mktemp("private")) as origin:
        yield origin


@pytest.fixture(scope="session")
def unrelated(tmp_path_factory):
    """An origin signed by a CA nobody trusts: every client must reject it, always."""
    with servers.Origin(tmp_path_factory.mktemp("unrelated")) as origin:
        yield origin


class Runner:
    def __init__(self, home):
        self.home = home

    def __call__(self, venv, args, timeout=60, **env):
        """Run ``venv``'s python with ``args`` in a scrubbed env plus ``env``; never raises on exit."""
        return self.command([venv.python, *args], timeout=timeout, **env)

    def command(self, argv, timeout=60, **env):
        """Run ``argv`` in HOME with a scrubbed env plus ``env``; never raises on exit."""
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=scrubbed_env(self.home, **env),
            cwd=self.home,
        )

    def probe(self, venv, client, url, **env):
        """Run one client of tests/probes.py against ``url``: ``(outcome, process)``."""
        process = self(venv, [PROBES, client, url], **env)
        return self._report(process, "probe " + client)["outcome"], process

    def script(self, venv, name, *args, timeout=60, **env):
        """Run ``tests/scripts/NAME.py ARGS``: ``(its JSON report, process)``; it must exit 0."""
        process = self(venv, [harness.script(name), *args], timeout=timeout, **env)
        return self._report(process, "script " + name), process

    @staticmethod
    def _report(process, what):
        report = harness.last_json(process.stdout)
        if process.returncode != 0 or report is None:
            raise AssertionError("%s crashed:\n%s\n%s" % (what, process.stdout, process.stderr))
        return report


class Case(NamedTuple):
    """One of the trio: where to connect, with what environment, and the outcome every client must get."""

    name: str
    origin: str  # "intercept" or "unrelated": which fixture's server
    url: str
    env: dict
    expected: str

    def check(self, outcome, process, quiet=False):
        """``outcome`` is this case's; with ``quiet``, a trusted run also wrote nothing to stderr."""
        assert outcome == self.expected, process.stdout + process.stderr
        if quiet and self.expected == "trusted":
            assert process.stderr == ""


TRIO = ("trusted", "opted-out", "unrelated-ca")


@pytest.fixture(params=TRIO)
def trio(request, intercept, unrelated):
    """Every positive test and its two negative twins, as one parametrisation.

    ``trusted``: the interceptor's origin with its CA injected; ``opted-out``: the same with
    ``SANDBOX_TRUST_DISABLE=1`` (rejected); ``unrelated-ca``: an origin signed by another CA (rejected).
    """
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    return {
        "trusted": Case("trusted", "intercept", intercept.url, ca, "trusted"),
        "opted-out": Case(
            "opted-out", "intercept", intercept.url, dict(ca, SANDBOX_TRUST_DISABLE="1"), "rejected"
        ),
        "unrelated-ca": Case("unrelated-ca", "unrelated", unrelated.url, ca, "rejected"),
    }[request.param]


@pytest.fixture
def run(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Runner(str(home))


# --- helpers shared by test modules (a test module never imports another) ----------------------

ISOLATION_PROBES = harness.script("isolation_probe")
ISOLATION_CLIENTS = ("requests", "httpx", "httpx2", "boto3", "grpcio", "grpcio-health-checking")


CORE_PROBES = (
    "urllib_request",
    "http_client",
    "create_default_context",
    "bare_sslcontext",
    "requests",
    "requests_session",
    "urllib3",
    "httpx",
    "httpx_async",
    "aiohttp",
    "websockets",
    "pip",
)


MORE_PROBES = ("botocore", "tornado", "httpx2", "openai", "grpc", "pip_legacy_certs", "pycurl")


@pytest.fixture(scope="module")
def more_venv(make_venv):
    return make_venv(*MORE_CLIENTS)


class GrpcOrigin:
    """A gRPC server whose leaf ``origin``'s CA signed; ``url`` in the probes' https:// form."""

    def __init__(self, venv, origin, directory):
        leaf = origin.ca.issue_cert("localhost", "127.0.0.1")
        cert, key = os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf.key")
        leaf.cert_chain_pems[0].write_to_path(cert)
        leaf.private_key_pem.write_to_path(key)
        # The server is not under test: sandbox-trust stays out of it.
        env = scrubbed_env(directory, SANDBOX_TRUST_DISABLE="1")
        self.process = subprocess.Popen(
            [venv.python, harness.script("grpc_server"), cert, key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.url = "https://localhost:%d/" % int(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def grpc_origins(more_venv, intercept, unrelated, tmp_path_factory):
    origins = {
        name: GrpcOrigin(more_venv, origin, str(tmp_path_factory.mktemp("grpc-" + name)))
        for name, origin in (("intercept", intercept), ("unrelated", unrelated))
    }
    yield origins
    for origin in origins.values():
        origin.close()


@pytest.fixture
def url_of(intercept, unrelated, grpc_origins):
    """``url_of(client, "intercept" | "unrelated")``: the origin that client talks to."""
    https = {"intercept": intercept.url, "unrelated": unrelated.url}

    def url_of(client, name):
        return grpc_origins[name].url if client == "grpc" else https[name]

    return url_of


def cli(run, venv, *args, timeout=60, **env):
    """Run ``venv``'s ``sandbox-trust`` console script with a scrubbed environment."""
    return run.command([os.path.join(venv.bin, "sandbox-trust"), *args], timeout=timeout, **env)


def status_json(run, venv, **env):
    process = cli(run, venv, "status", "--json", **env)
    assert "Traceback" not in process.stderr, process.stderr
    return json.loads(process.stdout), process


def _cycle(run, venv, ca_path, patch, **env):
    # No exported variables: what a context trusts then depends on the patches alone.
    report, process = run.script(
        venv, "patch_cycle", patch, SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_EXPORT_ENV="0", **env
    )
    assert process.stderr == ""
    return report


def assert_patch_cycle(run, venv, ca_path, patch):
    """The generic revert check, for any patch module whose targets ``venv`` has."""
    opted_out = _cycle(run, venv, ca_path, patch, SANDBOX_TRUST_DISABLE="1")
    active = _cycle(run, venv, ca_path, patch)
    if not active["targets"]:  # this version of the library needs no patch: it must replace nothing
        assert opted_out["declared_is_table"] and active["declared_is_table"], (opted_out, active)
        return
    assert not opted_out["patched_at_import"] and opted_out["revert_kept_import_state"], opted_out
    assert active["patched_at_import"], active
    # Reverted in the active interpreter: what the opted-out one had all along.
    assert active["original"] == opted_out["original"]
    assert active["original_aliases"] == opted_out["original_aliases"]
    for report in (opted_out, active):
        assert report["declared_is_table"], "the patch replaces other attributes than patch_cycle.TARGETS"
        for step in ("applied", "applied_twice", "reverted", "reverted_twice", "reapplied", "reverted_again"):
            assert report[step], (step, report)
    if opted_out["has_ca_at_import"] is not None:  # the patches that change what is trusted
        observed = (
            opted_out["has_ca_at_import"],
            active["has_ca_at_import"],
            active["has_ca_reverted"],
            active["has_ca_applied"],
        )
        assert observed == (False, True, False, True)
