"""Run the test suite on Debian's own CPython (sid's python3.14 / python3.15, OpenSSL 3.6), chrooted.

    python3 tests/in_debian.py 3.14 [PYTEST ARGS...]     (root; the nox sessions tests-3.14, core-3.14, ...)
    python3 tests/in_debian.py 3.14 --run SCRIPT [ARGS...]   (a script of the checkout, e.g. a benchmark;
                                                             what it writes under docs/ comes back)

Only Debian's registry has these interpreters here, and sid's packages must not land on this host
(they pull a newer libc), so the suite runs in a debootstrapped sid root (``tests/debian_root.py``:
built once, cached in /var/cache/sandbox-trust, unpacked once and used read-only through an overlay
whose writes go to a scratch directory removed afterwards). In the root, a runner venv of the chosen
interpreter gets the test tools, and pytest runs this checkout's suite (copied in) under it, so the
wheel is built and every client venv is made by that interpreter, exactly as on the host. The suite's
venv cache is a host directory per root and version, kept between runs.

Packages come from PyPI as on the host, verified the same way: the root's own ca-certificates lack
what this machine adds to its trust (an intercepting proxy's CA, say), so the CA file the host's pip
is told to use (``PIP_CERT``, else ``SSL_CERT_FILE``) is copied in and named by ``PIP_CERT`` (and
``NODE_EXTRA_CA_CERTS``, for npm) for the installs only; every process under test gets the suite's
scrubbed environment, as on the host.

A version that cannot be provided (debootstrap fails, the interpreter is missing) fails the run.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests import debian_root  # noqa: E402

SUITE = "sid"
VERSIONS = ("3.14", "3.15")
# What the whole suite drives in the root: the interpreters, the tools it runs as children (curl, git,
# node, openssl), Debian's python3 for the system-Python tests, valgrind for the start-up benchmarks.
PACKAGES = (
    "ca-certificates",
    "curl",
    "git",
    "openssl",
    "nodejs",
    "valgrind",
    "python3",
    "python3-venv",
    "python3-pip",
    "python3.14",
    "python3.14-venv",
    "python3.15",
    "python3.15-venv",
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT = "/src"  # where the checkout is copied in the root
HOST_TRUST = "/opt/host-trust/ca.pem"
# Not copied in: the repository's history, the host's nox venvs and caches.
IGNORE = shutil.ignore_patterns(".git", ".nox", "__pycache__", ".pytest_cache", "*.pyc", "build", "dist")


def test_tools():
    """The ``test`` extra of pyproject.toml (what the host's nox sessions install)."""
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]["test"]


def host_ca_file():
    """The CA file this machine's pip verifies PyPI with, if it names one."""
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(name)
        if path and os.path.isfile(path):
            return path
    return None


class Root:
    """The cached sid root seen through a fresh overlay; ``run`` executes one command chrooted in it."""

    def __init__(self, scratch):
        self.lower = debian_root.tree(SUITE, PACKAGES)
        self.scratch = scratch
        # Client venvs are made by the root's interpreters: one cache per root build.
        self.cache = os.path.join(
            tempfile.gettempdir(), "sandbox-trust-tests-" + os.path.basename(self.lower)
        )
        self.upper = os.path.join(scratch, "upper")

    def put(self, source, inside, ignore=None):
        """Copy a host file or directory to ``inside`` (an absolute path in the root)."""
        destination = os.path.join(self.upper, inside.lstrip("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, destination, ignore=ignore, symlinks=True)
        else:
            shutil.copy(source, destination)

    def write(self, inside, text):
        """Create a file at ``inside`` (an absolute path in the root) holding ``text``."""
        destination = os.path.join(self.upper, inside.lstrip("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        with open(destination, "w") as f:
            f.write(text)

    def run(self, args, env, check=True, **kwargs):
        command = [debian_root.IN_OVERLAY, self.lower, self.scratch, self.cache, *args]
        return subprocess.run(command, env=env, check=check, **kwargs)


def environment():
    """What pytest (the runner, the installs) sees in the root; tests scrub it for what they run."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    if host_ca_file():
        env["PIP_CERT"] = HOST_TRUST
        env["NODE_EXTRA_CA_CERTS"] = HOST_TRUST  # npm (the Deno tests' install), as pip
    return env


def main(argv):
    if not argv or argv[0] not in VERSIONS:
        raise SystemExit(
            "usage: in_debian.py {%s} [PYTEST ARGS... | --run SCRIPT ARGS...]" % ",".join(VERSIONS)
        )
    version, pytest_args = argv[0], argv[1:]
    scratch = tempfile.mkdtemp(prefix="sandbox-trust-sid-")
    try:
        root = Root(scratch)
        env = environment()
        python = "/usr/bin/python" + version
        probe = "import ssl, sys; print('Debian', sys.version.split()[0], ssl.OPENSSL_VERSION)"
        found = root.run([python, "-c", probe], env, check=False)
        if found.returncode != 0:
            raise SystemExit("Python interpreter %s not found in the Debian %s root" % (version, SUITE))
        copied_docs = docs_files(os.path.join(ROOT, "docs"))  # what the script finds, to tell what it wrote
        root.put(ROOT, CHECKOUT, ignore=IGNORE)
        # Tests that need a runtime the root lacks (npm, certutil, chromium, a JDK) apt-get it, as on the
        # host. The mirror serves sid as of a date whose Release file has since expired: apt still
        # checks its signature, only not its age.
        root.write("/etc/apt/apt.conf.d/99frozen-mirror", 'Acquire::Check-Valid-Until "false";\n')
        if host_ca_file():
            root.put(host_ca_file(), HOST_TRUST)
        runner = "/tmp/sandbox-trust-tests/runner-" + version
        tools = test_tools()
        # The test tools at tests/constraints.txt's pins, as nox installs them on the host (a newer
        # cryptography refuses names the property tests build): one runner per set of pins.
        with open(os.path.join(ROOT, "tests", "constraints.txt"), "rb") as f:
            pins = hashlib.sha256(f.read()).hexdigest()[:12]
        marker = os.path.join(root.cache, "runner-" + version, ".ready-%s-%s" % ("-".join(sorted(tools)), pins))
        if not os.path.exists(marker):
            constraints = CHECKOUT + "/tests/constraints.txt"
            root.run([python, "-m", "venv", "--clear", runner], env)
            root.run([runner + "/bin/python", "-m", "pip", "install", "-q", *tools, "-c", constraints], env)
            open(marker, "w").close()
        if pytest_args[:1] == ["--run"]:  # the script's output belongs in /tmp/sandbox-trust-tests (kept)
            command = [runner + "/bin/python", *pytest_args[1:]]
        else:
            command = [
                runner + "/bin/python",
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                CHECKOUT,
            ]
            command += pytest_args
        command = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', CHECKOUT, *command]
        returncode = root.run(command, env, check=False).returncode
        if pytest_args[:1] == ["--run"]:
            bring_back_docs(root, copied_docs)
        return returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def docs_files(directory):
    """{name: content} of the regular files directly in ``directory``."""
    found = {}
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
        path = os.path.join(directory, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as f:
                found[name] = f.read()
    return found


def bring_back_docs(root, copied):
    """A script run in the root (a benchmark) writes its report where it would on the host, under the
    checkout's docs/: what it wrote or changed there (against ``copied``, the files as copied in) is
    copied back to this checkout; a file only edited here meanwhile is left alone."""
    inside = docs_files(os.path.join(root.upper, CHECKOUT.lstrip("/"), "docs"))
    for name, data in inside.items():
        if copied.get(name) == data:
            continue
        with open(os.path.join(ROOT, "docs", name), "wb") as f:
            f.write(data)
        print("in_debian: docs/%s written" % name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
