"""The real thing: the built wheel in fresh venvs, real clients, real TLS servers, scrubbed envs.

Fixtures:
- ``wheel``: sandbox-trust built once per session from this checkout.
- ``make_venv(*packages)``: a fresh venv (cached per package set) with the wheel installed.
- ``core_venv``: the venv with the core client libraries (see CORE_CLIENTS).
- ``intercept``/``unrelated``: HTTPS origins whose leaves are minted by two unrelated throwaway CAs.
- ``run``: run code or a probe in a venv's interpreter with an explicit, minimal environment.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import pytest

from tests import servers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBES = os.path.join(ROOT, "tests", "probes.py")
WORK = os.environ.get("SANDBOX_TRUST_TEST_WORK") or os.path.join(tempfile.gettempdir(), "sandbox-trust-tests")

# The client libraries of the foundation issue; versions float to what users get today.
CORE_CLIENTS = ("requests", "urllib3", "httpx", "aiohttp", "websockets", "certifi", "pip")


def scrubbed_env(home, **extra):
    """A minimal environment: nothing of this machine's CA variables, pip or Python settings."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update({key: value for key, value in extra.items() if value is not None})
    return env


def install_env():
    """Installs (not under test) use this machine's own settings: its registry access needs them."""
    return dict(os.environ)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), ROOT],
        check=True,
        env=install_env(),
    )
    (path,) = out.glob("sandbox_trust-*.whl")
    return str(path)


class Venv:
    def __init__(self, path):
        self.path = path
        self.python = os.path.join(path, "bin", "python")
        self.bin = os.path.join(path, "bin")
        self.site_packages = subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            env=scrubbed_env(path),
        ).stdout.strip()

    def pip(self, *args):
        return subprocess.run(
            [self.python, "-m", "pip", *args],
            check=True,
            capture_output=True,
            text=True,
            env=install_env(),
        )


def _create_venv(path, wheel, packages, python):
    os.makedirs(WORK, exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test runs share WORK
        return _create_venv_locked(path, wheel, packages, python)


def _create_venv_locked(path, wheel, packages, python):
    marker = os.path.join(path, ".ready")
    if os.path.exists(marker):
        return Venv(path)
    subprocess.run(["rm", "-rf", path], check=True)
    subprocess.run([python, "-m", "venv", path], check=True)
    venv = Venv(path)
    venv.pip("install", "-q", "--upgrade", "pip")
    venv.pip("install", "-q", wheel, *packages)
    open(marker, "w").close()
    return venv


@pytest.fixture(scope="session")
def make_venv(wheel):
    """``make_venv(*packages, python=sys.executable, with_package=True)``: cached by contents."""
    with open(wheel, "rb") as f:
        wheel_digest = hashlib.sha256(f.read()).hexdigest()[:12]

    def make(*packages, python=sys.executable, with_package=True):
        key = hashlib.sha256(repr((wheel_digest, packages, python, with_package)).encode()).hexdigest()[:12]
        path = os.path.join(WORK, "venv-" + key)
        venv = _create_venv(path, wheel, packages, python)
        if not with_package:
            venv.pip("uninstall", "-q", "-y", "sandbox-trust")
        return venv

    return make


@pytest.fixture(scope="session")
def core_venv(make_venv):
    return make_venv(*CORE_CLIENTS)


@pytest.fixture(scope="session")
def intercept(tmp_path_factory):
    """The sandbox's interceptor: a throwaway CA (the one injected) and an origin it signed."""
    with servers.Origin(tmp_path_factory.mktemp("intercept")) as origin:
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
        return subprocess.run(
            [venv.python, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=scrubbed_env(self.home, **env),
            cwd=self.home,
        )

    def probe(self, venv, client, url, **env):
        """Run one client of tests/probes.py against ``url``: ``(outcome, process)``."""
        process = self(venv, [PROBES, client, url], **env)
        lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
        if process.returncode != 0 or not lines:
            raise AssertionError("probe %s crashed:\n%s\n%s" % (client, process.stdout, process.stderr))
        return json.loads(lines[-1])["outcome"], process


@pytest.fixture
def run(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Runner(str(home))
