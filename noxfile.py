"""Test sessions per CPython version (truststore's convention).

- ``nox -s tests``: the whole suite on every supported CPython (pyenv's 3.10-3.13).
- ``nox -s core``: the foundation subset (client matrix, start-up, waiting, bad CA files).
- ``nox -s tests-3.14 core-3.14 lazy-3.14`` (and 3.15): the whole suite, the foundation subset and the
  lazy-roots equivalence tests on Debian sid's own python3.14 / python3.15 (OpenSSL 3.6), chrooted
  in a debootstrapped root (``tests/in_debian.py``; root, the root cached in /var/cache/sandbox-trust).
- ``nox -s benchmarks``: the benchmark suite, writes docs/benchmarks.md.
- ``nox -s images``: the README's container recipes for real (a debootstrapped Debian, a uv venv); slow.
- ``nox -s tests-latest``: the client tests on the newest releases instead of tests/constraints.txt's pins.
- ``nox -s release``: build the sdist and the wheel into dist/ and check them with twine.

Interpreters come from pyenv's versions directory (no ``pyenv global`` or shims needed); a version
that is neither there nor on PATH fails the run, naming it, instead of being skipped.
"""

import glob
import os
import shutil
import sys

import nox

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tests import harness  # noqa: E402 - the one interpreter lookup (stdlib only)

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
CORE_TESTS = [
    "tests/test_clients.py",
    "tests/test_boot.py",
    "tests/test_wait.py",
    "tests/test_bad_ca_files.py",
    "tests/test_never_weaker.py",
    "tests/test_start_file.py",
    "tests/test_anchor.py",
    "tests/test_patches.py",
]
# Lazy roots against this interpreter's OpenSSL: same trust lazy and eager, OpenSSL's name hash.
LAZY_TESTS = ["tests/test_lazy_roots.py", "tests/test_subject_hash.py"]
# Debian sid's own CPython 3.14 and 3.15 (OpenSSL 3.6), run chrooted in a debootstrapped root.
DEBIAN_PYTHONS = ["3.14", "3.15"]

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# A skipped version would let "nox -s core-3.10" exit 0 having tested nothing.
nox.options.error_on_missing_interpreters = True


def _add_pyenv_interpreters(versions):
    """Put the newest pyenv CPython X.Y.Z of each version first on PATH, where nox looks for
    pythonX.Y: pyenv's shims answer only for the versions made global, and fail for the others."""
    found = [harness.find_python(version) for version in versions]
    bins = [os.path.dirname(path) for path in found if path and "/versions/" in path]
    os.environ["PATH"] = os.pathsep.join(bins + [os.environ.get("PATH", "")])


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


def _debian_session(kind, version, tests):
    def session_function(session):
        # Root: debootstrap, chroot and overlay mounts; the root is cached in /var/cache/sandbox-trust.
        session.run(sys.executable, "tests/in_debian.py", version, *tests, *session.posargs, external=True)

    session_function.__doc__ = "%s on Debian sid's python%s, chrooted (tests/in_debian.py; root)." % (
        kind,
        version,
    )
    nox.session(name="%s-%s" % (kind, version), python=False)(session_function)


for _version in DEBIAN_PYTHONS:
    _debian_session("tests", _version, [])
    _debian_session("core", _version, CORE_TESTS)
    _debian_session("lazy", _version, LAZY_TESTS)


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
