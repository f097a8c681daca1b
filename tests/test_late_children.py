"""A child started after a late CA landed trusts it, whichever way Python starts it.

The parent declares interception, its CA lands 0.5 s after it started, it makes no TLS context and
starts ``curl`` after 1 s (``tests/scripts/late_ca_child.py``): the start itself is the moment trust
is needed (``sandbox_trust._children``). Twins: opted out, rejected; an origin of an unrelated CA,
rejected. curl runs in the scrubbed environment, so only what the parent exported can trust the CA.
"""

import shutil
import threading

import pytest

from tests.harness import last_json, script

START_PATHS = (
    "subprocess.run",
    "subprocess.posix_spawn",
    "asyncio",
    "os.popen",
    "os.system",
    "os.posix_spawn",
    "os.posix_spawnp",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.execl",
    "os.spawnv",
    "os.spawnvp",
    "pty.spawn",
    "multiprocessing-spawn",
    "multiprocessing-forkserver",
)
LANDS_AFTER = 0.5  # seconds after the parent started


@pytest.fixture(autouse=True)
def needs_curl():
    if shutil.which("curl", path="/usr/bin") is None:
        pytest.skip("needs /usr/bin/curl")


def start_late(run, venv, ca_source, start_path, url, delay=1.0, **env):
    """Run the parent with the CA landing LANDS_AFTER s after it started: its JSON line."""
    target = run.home + "/late-ca.pem"
    timer = threading.Timer(LANDS_AFTER, shutil.copy, (ca_source, target))
    env = dict({"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": target}, **env)
    timer.start()
    try:
        process = run(venv, [script("late_ca_child"), start_path, str(delay), url], **env)
    finally:
        timer.cancel()
        timer.join()
    found = last_json(process.stdout)
    assert process.returncode == 0 and found, process.stdout + process.stderr
    return found, process


@pytest.mark.parametrize("start_path", START_PATHS)
def test_child_started_after_a_late_ca_trusts_it(run, core_venv, trio, start_path):
    found, process = start_late(run, core_venv, trio.env["SANDBOX_CA_CERT"], start_path, trio.url,
                                **{k: v for k, v in trio.env.items() if k != "SANDBOX_CA_CERT"})
    assert found["outcome"] == trio.expected, (found, process.stderr)
    if trio.expected == "trusted":
        assert process.stderr == ""


def test_child_started_before_the_ca_lands_waits_for_it(run, core_venv, intercept):
    """Started at 0.2 s, before the CA lands: the start waits for it (bounded), then curl trusts it."""
    found, process = start_late(run, core_venv, intercept.ca_path, "subprocess.run", intercept.url, delay=0.2)
    assert found["outcome"] == "trusted", (found, process.stderr)
    assert found["seconds"] >= LANDS_AFTER - 0.2 - 0.05  # the start waited for the landing
    assert found["wrapped_after"] == []  # exported: the wrappers are gone


def test_ca_that_never_lands_starts_the_child_after_the_timeout(run, core_venv, intercept):
    target = run.home + "/never.pem"
    env = {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": target, "SANDBOX_TRUST_TIMEOUT": "0.5"}
    process = run(core_venv, [script("late_ca_child"), "subprocess.run", "0", intercept.url], **env)
    found = last_json(process.stdout)
    assert found and found["outcome"] == "rejected", process.stdout + process.stderr
    assert 0.4 <= found["seconds"] < 5
    assert found["wrapped_after"] == ["execv", "system"]  # not exported: a later start looks again
    assert process.stderr.count("sandbox-trust:") == 1  # the one line: the CA never landed


@pytest.mark.parametrize(
    "env",
    [
        {"SANDBOX_CA_CERT": "{ca}"},  # present at start: exported at start, nothing wrapped
        {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": "{absent}", "SANDBOX_TRUST_EXPORT_ENV": "0"},
        {"SANDBOX_CA_CERT": "{absent}"},  # not declared: nothing to do
    ],
    ids=["ca-present", "export-off", "not-declared"],
)
def test_wrappers_only_when_a_declared_ca_is_absent(run, core_venv, intercept, env):
    env = {k: v.format(ca=intercept.ca_path, absent=run.home + "/absent.pem") for k, v in env.items()}
    code = (
        "import os, sys; print(int(hasattr(os.system, '_sandbox_trust_child_start')),"
        " int('sandbox_trust._children' in sys.modules), int('sandbox_trust.patches' in sys.modules))"
    )
    process = run(core_venv, ["-c", code], **env)
    assert process.stdout.split() == ["0", "0", "0"], process.stdout + process.stderr


def test_wrappers_installed_while_declared_ca_is_absent(run, core_venv):
    code = "import os; print(os.system.__name__, hasattr(os.system, '_sandbox_trust_child_start'))"
    env = {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": run.home + "/absent.pem"}
    process = run(core_venv, ["-c", code], **env)
    assert process.stdout.split() == ["system", "True"], process.stdout + process.stderr
    assert process.stderr == ""  # nothing waited for, nothing said: no child started


def test_wrappers_are_idempotent_reversible_reentrant_and_never_in_the_way(run, core_venv):
    env = {"SANDBOX_INTERCEPT_HTTPS": "1", "SANDBOX_CA_CERT": run.home + "/absent.pem"}
    found, process = run.script(core_venv, "child_start_unit", **env)
    assert found == {
        "installed_at_start": True,
        "one_layer": True,
        "outer_exit": 3,
        "inner_exit": [4],
        "deadline": "raised",
        "after_failure": 5,
        "reverted": True,
        "exported": False,
    }, process.stderr
    # The failure is said once (internal error), and the rest is silent.
    assert process.stderr.count("sandbox-trust: internal error in exporting before a child starts") == 1
    assert process.stderr.count("sandbox-trust:") == 1, process.stderr
