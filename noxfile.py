"""Test sessions per CPython version (truststore's convention).

- ``nox -s tests``: the whole suite on every supported CPython (pyenv's 3.10-3.13).
- ``nox -s core``: the foundation subset (client matrix, start-up, waiting, bad CA files).
- ``nox -s benchmarks``: the benchmark suite, writes docs/benchmarks.md.
- ``nox -s images``: the README's container recipes for real (a debootstrapped Debian, a uv venv); slow.
- ``nox -s tests-latest``: the client tests on the newest releases instead of tests/constraints.txt's pins.
- ``nox -s release``: build the sdist and the wheel into dist/ and check them with twine.

Interpreters come from pyenv's versions directory (no ``pyenv global`` or shims needed); a version
that is neither there nor on PATH fails the run, naming it, instead of being skipped.
"""

import glob
import os
import re
import shutil
import subprocess

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
CORE_TESTS = [
    "tests/test_clients.py",
    "tests/test_boot.py",
    "tests/test_wait.py",
    "tests/test_bad_ca_files.py",
    "tests/test_never_weaker.py",
]

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# A skipped version would let "nox -s core-3.10" exit 0 having tested nothing.
nox.options.error_on_missing_interpreters = True


def _pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return os.environ["PYENV_ROOT"]
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def _add_pyenv_interpreters(versions):
    """Put the newest pyenv CPython X.Y.Z of each version first on PATH, where nox looks for
    pythonX.Y: pyenv's shims answer only for the versions made global, and fail for the others."""
    directory = os.path.join(_pyenv_root(), "versions")
    try:
        installed = os.listdir(directory)
    except OSError:
        return
    found = []
    for version in versions:
        patches = [name for name in installed if re.fullmatch(re.escape(version) + r"\.\d+", name)]
        if patches:
            newest = max(patches, key=lambda name: int(name.rsplit(".", 1)[1]))
            found.append(os.path.join(directory, newest, "bin"))
    os.environ["PATH"] = os.pathsep.join(found + [os.environ.get("PATH", "")])


_add_pyenv_interpreters(PYTHONS)


def _install_test_tools(session, pinned=True):
    # Only the tools: the suite builds the wheel itself and tests it in fresh venvs, and the
    # runner must not have sandbox-trust active in its own interpreter.
    extras = nox.project.load_toml("pyproject.toml")["project"]["optional-dependencies"]
    session.install(*extras["test"], *(["-c", "tests/constraints.txt"] if pinned else []))


@nox.session(python=PYTHONS)
def tests(session):
    _install_test_tools(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS)
def core(session):
    _install_test_tools(session)
    session.run("pytest", *CORE_TESTS, *session.posargs)


@nox.session(python="3.11")
def benchmarks(session):
    extras = nox.project.load_toml("pyproject.toml")["project"]["optional-dependencies"]
    session.install(*extras["benchmark"])
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.11")
def images(session):
    """The README's container recipes for real: tests/test_images.py (root; caches its Debian root)."""
    if not shutil.which("debootstrap"):
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "debootstrap", external=True)
    _install_test_tools(session)
    session.install("uv")
    session.run("pytest", "tests/test_images.py", *session.posargs, env={"SANDBOX_TRUST_IMAGES": "1"})


@nox.session(python="3.11")
def peers(session):
    """requests' and httpx's own test suites with and without sandbox-trust must agree."""
    # The pinned suites and their requirements live in peers/; the runner needs trustme for its CA.
    session.install("trustme==1.2.1")
    session.run("python", "peers/compare.py", *session.posargs)


@nox.session(name="tests-latest", python="3.11")
def tests_latest(session):
    """The client tests on the newest releases: what moving tests/constraints.txt's pins would do."""
    _install_test_tools(session, pinned=False)
    tests = ["tests/test_clients.py", "tests/test_more_clients.py", "tests/test_isolation.py"]
    session.run("pytest", *(session.posargs or tests), env={"SANDBOX_TRUST_TEST_LATEST": "1"})


@nox.session(python="3.11")
def release(session):
    """The sdist and the wheel, as a release uploads them, checked by twine (README, "Releasing")."""
    shutil.rmtree("dist", ignore_errors=True)
    session.install("build", "twine")
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", "--strict", *sorted(glob.glob("dist/*")))
