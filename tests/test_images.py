"""The README's container recipes, run for real (``nox -s images``: slow, needs root).

- Debian bookworm's system Python in a root filesystem that debootstrap builds from the Debian mirror
  this machine's apt uses (``tests/debian_root.py``: cached as a tarball per suite and package
  list): ``pip install
  --break-system-packages`` into /usr/local, and a venv of /usr/bin/python3. Commands run chrooted
  (``tests/images/in-root``); the chroot shares the host's network, so the origins listen on the
  host's 127.0.0.1 and only their CA file is copied in.
- A uv-made venv (``uv venv`` + ``uv pip install``) of pyenv's CPython 3.13: the official
  ``python:3.x`` images cannot be pulled here, and their interpreter is likewise a CPython built from
  source, not externally managed.

Each recipe installs the wheel, then: ``sandbox-trust status`` names the injected CA; urllib and
requests trust the origin it signed, reject it when opted out, and reject an unrelated CA's origin.
"""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests import debian_root
from tests.conftest import PROBES, install_env, scrubbed_env
from tests.harness import last_json

pytestmark = pytest.mark.skipif(
    os.environ.get("SANDBOX_TRUST_IMAGES") != "1", reason="slow, needs root: run with `nox -s images`"
)

SUITE = "bookworm"
PACKAGES = ("python3", "python3-pip", "python3-venv", "python3-requests", "ca-certificates")
CLIENTS = ("urllib_request", "requests")
# What the venvs install besides the wheel, from a local directory (the chroot has no registry access).
DEPENDENCIES = ("certifi", "requests", "urllib3", "idna", "charset-normalizer")


def download_dependencies(directory, python_version):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--dest", directory, "--only-binary=:all:"]
        + ["--python-version", python_version, "--platform", "manylinux2014_x86_64", *DEPENDENCIES],
        check=True,
        env=install_env(),
    )


class Chroot(debian_root.Chroot):
    """A fresh copy of the cached Debian root; ``run`` executes in it with a scrubbed environment."""

    probes = "/opt/probes.py"

    def run(self, args, **env):
        return super().run(args, scrubbed_env("/root", **env))


class Host:
    """The uv recipe runs on this machine, in a scrubbed environment."""

    probes = PROBES

    def __init__(self, home):
        self.home = home

    def run(self, args, **env):
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=300,
            env=scrubbed_env(self.home, **env),
            cwd=self.home,
        )


def check(system, bin_dir, python, ca_path, intercept, unrelated, site):
    """What every recipe must show: status names the CA; each client trusted, and rejected twice."""
    status = system.run([bin_dir + "/sandbox-trust", "status", "--json"], SANDBOX_CA_CERT=ca_path)
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["installed"] and report["pth"].startswith(site), report["pth"]
    assert report["ca_present"] and report["problems"] == [], report
    assert [c["sha256"] for c in report["certificates"]] == [sha256_of_pem(intercept.ca_path)]
    opted_out = system.run(
        [bin_dir + "/sandbox-trust", "status", "--json"], SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_DISABLE="1"
    )
    assert json.loads(opted_out.stdout)["disabled"] is True

    def outcome(client, url, **env):
        process = system.run([python, system.probes, client, url], SANDBOX_CA_CERT=ca_path, **env)
        report = last_json(process.stdout)
        assert process.returncode == 0 and report, process.stdout + process.stderr
        return report["outcome"]

    for client in CLIENTS:
        assert outcome(client, intercept.url) == "trusted", client
        assert outcome(client, intercept.url, SANDBOX_TRUST_DISABLE="1") == "rejected", client
        assert outcome(client, unrelated.url) == "rejected", client


def sha256_of_pem(path):
    import ssl

    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


@pytest.fixture(scope="module")
def debian(wheel, intercept, tmp_path_factory):
    """The Debian root, unpacked afresh, with the wheel, its dependencies, the probes and the CA."""
    path = str(tmp_path_factory.mktemp("debian-root"))
    root = Chroot(debian_root.unpack(SUITE, PACKAGES, path))
    version = root.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip()
    wheels = str(tmp_path_factory.mktemp("debian-wheels"))
    download_dependencies(wheels, version)
    shutil.copy(wheel, wheels)
    root.copy_in(wheels, "/opt/wheels")
    root.copy_in(PROBES, "/opt/probes.py")
    root.copy_in(intercept.ca_path, "/opt/ca/intercept.pem")
    root.wheel = "/opt/wheels/" + os.path.basename(wheel)
    root.version = version
    yield root
    shutil.rmtree(path, ignore_errors=True)


def test_debian_venv_of_the_system_python(debian, intercept, unrelated):
    made = debian.run(["python3", "-m", "venv", "/opt/app"])
    assert made.returncode == 0, made.stderr
    installed = debian.run(
        [
            "/opt/app/bin/pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            "/opt/wheels",
            debian.wheel,
            "requests",
        ]
    )
    assert installed.returncode == 0, installed.stderr
    site = "/opt/app/lib/python%s/site-packages" % debian.version
    check(debian, "/opt/app/bin", "/opt/app/bin/python", "/opt/ca/intercept.pem", intercept, unrelated, site)


def test_debian_system_python_break_system_packages(debian, intercept, unrelated):
    refused = debian.run(["pip3", "install", "-q", "--no-index", "--find-links", "/opt/wheels", debian.wheel])
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr  # PEP 668
    installed = debian.run(
        ["pip3", "install", "-q", "--break-system-packages", "--no-index", "--find-links", "/opt/wheels"]
        + [debian.wheel]
    )
    assert installed.returncode == 0, installed.stderr
    # Debian's own python3-requests (from apt, reading /etc/ssl/certs) is the requests under test.
    where = debian.run(["python3", "-c", "import requests; print(requests.__file__)"])
    assert where.stdout.startswith("/usr/lib/python3/dist-packages/requests/"), where.stdout + where.stderr
    check(
        debian,
        "/usr/local/bin",
        "/usr/bin/python3",
        "/opt/ca/intercept.pem",
        intercept,
        unrelated,
        "/usr/local/lib/python%s/dist-packages" % debian.version,
    )


def test_uv_venv(wheel, intercept, unrelated, tmp_path):
    uv = shutil.which("uv") or os.path.join(os.path.dirname(sys.executable), "uv")
    python = shutil.which("python3.13")  # the noxfile puts pyenv's versions on PATH
    assert python, "CPython 3.13 not found: pyenv install 3.13"
    home = tmp_path / "home"
    home.mkdir()
    host = Host(str(home))
    venv = str(tmp_path / "app")
    made = host.run([uv, "venv", "--no-python-downloads", "--python", python, venv])
    assert made.returncode == 0, made.stderr
    version = host.run([venv + "/bin/python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    wheels = str(tmp_path / "wheels")
    download_dependencies(wheels, version.stdout.strip())
    installed = host.run(
        [uv, "pip", "install", "--offline", "--no-index", "--find-links", wheels, wheel, "requests"],
        VIRTUAL_ENV=venv,
    )
    assert installed.returncode == 0, installed.stderr
    assert not glob.glob(venv + "/lib/python*/site-packages/pip"), "uv seeds no pip"
    site = "%s/lib/python%s/site-packages" % (venv, version.stdout.strip())
    check(host, venv + "/bin", venv + "/bin/python", intercept.ca_path, intercept, unrelated, site)
