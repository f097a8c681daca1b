"""Test sessions per CPython version (truststore's convention).

- ``nox -s tests``: the whole suite on every supported CPython (pyenv's 3.10-3.13).
- ``nox -s core``: the foundation subset (client matrix, start-up, waiting, bad CA files).
- ``nox -s benchmarks``: the benchmark suite, writes docs/benchmarks.md.
"""

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


def _install_test_tools(session):
    # Only the tools: the suite builds the wheel itself and tests it in fresh venvs, and the
    # runner must not have sandbox-trust active in its own interpreter.
    extras = nox.project.load_toml("pyproject.toml")["project"]["optional-dependencies"]
    session.install(*extras["test"])


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
def peers(session):
    """requests' and httpx's own test suites with and without sandbox-trust must agree."""
    # The pinned suites and their requirements live in peers/; the runner needs trustme for its CA.
    session.install("trustme==1.2.1")
    session.run("python", "peers/compare.py", *session.posargs)
