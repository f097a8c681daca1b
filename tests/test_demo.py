"""``sandbox-trust demo``: works for a newcomer in a fresh venv, names a culprit, leaves nothing behind."""

import os
import re
import shutil
import tempfile
import time

import pytest

from tests.conftest import CORE_CLIENTS

TOOLS = [tool for tool in ("curl", "git", "node") if shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin")]


def demo(run, venv, timeout=120, **env):
    started = time.monotonic()
    process = run.command([os.path.join(venv.bin, "sandbox-trust"), "demo"], timeout=timeout, **env)
    return process, time.monotonic() - started


def rows(stdout):
    """``{client: (opted out, with sandbox-trust, unrelated CA, verdict)}`` from the demo's table."""
    table = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) == 5 and cells[4] in ("ok", "FAIL"):
            table[cells[0]] = tuple(cells[1:])
    return table


def listing(directory, recursive):
    if not recursive:
        return set(os.listdir(directory))
    found = set()
    for root, directories, files in os.walk(directory):
        found.update(os.path.relpath(os.path.join(root, name), directory) for name in directories + files)
    return found


def demo_dirs(tmp):
    return {name for name in os.listdir(tmp) if name.startswith("sandbox-trust-demo-")}


@pytest.mark.parametrize("which", ["fresh", "core"])
def test_demo(run, make_venv, core_venv, which):
    venv = make_venv() if which == "fresh" else core_venv
    tmp = tempfile.gettempdir()
    home_before, demos_before = listing(run.home, recursive=True), demo_dirs(tmp)
    process, elapsed = demo(run, venv)
    assert process.returncode == 0, process.stdout + process.stderr
    table = rows(process.stdout)
    expected = {"urllib", *TOOLS}
    if which == "core":
        expected |= {"requests", "httpx", "aiohttp", "urllib3"} & set(CORE_CLIENTS)
    assert set(table) == expected, process.stdout
    # The third column is the safety claim: a server signed by an unrelated CA, package active.
    assert all(row == ("rejected", "trusted", "rejected", "ok") for row in table.values()), process.stdout
    assert any(
        line.split()[:1] == ["client"] and "unrelated CA" in line
        for line in process.stdout.splitlines()
        if line
    )
    # Nothing persisted: the temporary directory it names is gone, HOME is untouched.
    (directory,) = re.findall(r"temporary directory (\S+) removed", process.stdout)
    assert not os.path.exists(directory)
    assert listing(run.home, recursive=True) == home_before
    assert demo_dirs(tmp) <= demos_before  # none left behind (another run's may have gone)
    print("demo in %s venv: %d clients, %.1f s" % (which, len(table), elapsed))


def test_demo_with_private_tmpdir_leaves_it_empty(run, make_venv, tmp_path):
    private = tmp_path / "private-tmp"
    private.mkdir()
    process, _ = demo(run, make_venv(), TMPDIR=str(private))
    assert process.returncode == 0, process.stdout + process.stderr
    assert os.listdir(private) == []


def test_demo_names_the_culprit(run, make_venv, tmp_path):
    """A curl that trusts everything (a broken tool, or a weakened one) fails the demo by name."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "curl").write_text("#!/bin/sh\nexit 0\n")
    (fake / "curl").chmod(0o755)
    process, _ = demo(run, make_venv(), PATH="%s:/usr/local/bin:/usr/bin:/bin" % fake)
    assert process.returncode == 1
    assert rows(process.stdout)["curl"] == ("trusted", "trusted", "trusted", "FAIL")
    assert rows(process.stdout)["urllib"] == ("rejected", "trusted", "rejected", "ok")
    assert "curl: opted out trusted (expected rejected)" in process.stdout


def test_demo_without_a_way_to_mint_says_so(run, make_venv, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    process, _ = demo(run, make_venv(), PATH=str(empty))  # no openssl on PATH, no trustme in the venv
    assert process.returncode == 1
    assert "cannot mint a throwaway CA" in process.stderr and "openssl" in process.stderr
    assert "Traceback" not in process.stderr


def test_demo_mints_with_trustme_without_openssl(run, make_venv, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:  # every tool but openssl
        os.symlink(shutil.which(tool), tools / tool)
    process, _ = demo(run, make_venv("trustme"), PATH=str(tools))
    assert process.returncode == 0, process.stdout + process.stderr
    assert "minted with trustme" in process.stdout
    assert set(rows(process.stdout)) == {"urllib", *TOOLS}


def test_demo_refuses_an_interpreter_without_the_startup_file(run, make_venv):
    from tests.conftest import ROOT

    bare = make_venv(with_package=False)
    process = run(bare, ["-m", "sandbox_trust", "demo"], PYTHONPATH=os.path.join(ROOT, "src"))
    assert process.returncode == 1 and "sandbox_trust.pth is not installed" in process.stderr
