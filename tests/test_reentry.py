"""The app's code running inside a wait of sandbox-trust, on the same thread (issue "Hardening III", 3).

While the main thread waits for a declared CA inside a context's creation, a signal handler, a
``__del__`` or a ``sys.stderr`` runs on that thread. Re-entry must return at once (that nested
context gets what is known so far: no CA before it lands, as without the package) and must never
deadlock; an exception the app raises into the wait (its deadline, KeyboardInterrupt) must reach
it unchanged and at once, with no "internal error" line. The probe (tests/scripts/reentry.py) kills
itself after 40 s: a deadlock fails the test instead of hanging it. Opted-out twins: the nested
request gets the same outcome without the package.
"""

import os
import shutil

import pytest

from tests.hardening import assert_quiet, stderr_lines

AT_ONCE = 1.0  # seconds: "at once" for an exception raised into a wait (the poll interval is 5 ms)


def reentry(run, venv, variant, url, timeout="10", **env):
    return run.script(
        venv,
        "reentry",
        variant,
        url,
        timeout=90,
        SANDBOX_INTERCEPT_HTTPS="1",
        SANDBOX_TRUST_TIMEOUT=timeout,
        **env,
    )


@pytest.mark.parametrize("variant", ["alarm-context", "del"])
def test_a_context_made_inside_the_wait_returns_at_once(run, core_venv, intercept, tmp_path, variant):
    """The nested request gets no CA (not landed yet), at once; the outer one is trusted once it lands."""
    result, process = reentry(
        run,
        core_venv,
        variant,
        intercept.url,
        SANDBOX_CA_CERT=str(tmp_path / "ca.pem"),
        PROBE_CA_SOURCE=intercept.ca_path,
        PROBE_LAND_AFTER="1.5",
    )
    assert result["inner"] == "rejected", (result, process.stderr)
    assert result["inner_seconds"] < AT_ONCE, result
    assert result["outer"] == "trusted", (result, process.stderr)
    assert_quiet(process, lines=0)


@pytest.mark.parametrize("variant", ["alarm-context", "del"])
def test_a_context_made_inside_the_wait_for_an_unrelated_origin_is_rejected(
    run, core_venv, intercept, unrelated, tmp_path, variant
):
    result, process = reentry(
        run,
        core_venv,
        variant,
        unrelated.url,
        SANDBOX_CA_CERT=str(tmp_path / "ca.pem"),
        PROBE_CA_SOURCE=intercept.ca_path,
        PROBE_LAND_AFTER="1.5",
    )
    assert (result["inner"], result["outer"]) == ("rejected", "rejected"), (result, process.stderr)


def test_a_context_made_inside_the_wait_as_opted_out(run, core_venv, intercept):
    """Stock twin: the handler's request gets the same outcome without the package."""
    result, process = reentry(
        run,
        core_venv,
        "alarm-context",
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DISABLE="1",
    )
    assert (result["inner"], result["outer"]) == ("rejected", "rejected"), (result, process.stderr)


def test_debug_says_what_the_nested_context_got(run, core_venv, intercept, tmp_path):
    result, process = reentry(
        run,
        core_venv,
        "alarm-context",
        intercept.url,
        SANDBOX_CA_CERT=str(tmp_path / "ca.pem"),
        PROBE_CA_SOURCE=intercept.ca_path,
        PROBE_LAND_AFTER="1.5",
        SANDBOX_TRUST_DEBUG="1",
    )
    assert result["inner"] == "rejected" and result["outer"] == "trusted", (result, process.stderr)
    assert "inside the wait for the CA, on the same thread" in process.stderr
    assert "gets no CA" in process.stderr


@pytest.mark.parametrize(
    "variant, raised",
    [
        ("alarm-raise", "TimeoutError"),
        ("alarm-raise-lock", "TimeoutError"),
        ("interrupt", "KeyboardInterrupt"),
    ],
)
def test_an_exception_raised_into_the_wait_reaches_the_app(
    run, core_venv, intercept, tmp_path, variant, raised
):
    """The CA never lands (10 s timeout): the app's exception arrives at once, unchanged, unreported."""
    result, process = reentry(
        run, core_venv, variant, intercept.url, SANDBOX_CA_CERT=str(tmp_path / "ca.pem")
    )
    assert result["outer"] == "raised " + raised, (result, process.stderr)
    assert result["same"] is True, result
    assert result["late"] < AT_ONCE, result
    assert "internal error" not in process.stderr
    assert_quiet(process, lines=0)


def test_a_stderr_that_makes_a_context_while_the_package_warns(run, core_venv, intercept, tmp_path):
    """The warning at the deadline is written inside the wait: the write's request returns at once."""
    result, process = reentry(
        run, core_venv, "stderr", intercept.url, timeout="1", SANDBOX_CA_CERT=str(tmp_path / "ca.pem")
    )
    assert result["inner"] == "rejected", (result, process.stderr)
    assert result["inner_seconds"] < AT_ONCE, result
    assert result["outer"] == "rejected", (result, process.stderr)
    assert assert_quiet(process, lines=1, contains="no usable CA")


def test_a_stderr_that_makes_a_context_while_the_package_warns_about_the_ca(
    run, core_venv, intercept, tmp_path
):
    """A warning about the CA file (it holds a key) is written while parsing: the CA is known by then."""
    ca_path = str(tmp_path / "ca.pem")
    shutil.copy(intercept.ca_path, ca_path)
    with open(ca_path, "a") as f:
        f.write(
            "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n"
        )
    result, process = reentry(
        run, core_venv, "stderr", intercept.url, SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_EXPORT_ENV="0"
    )
    assert (result["inner"], result["outer"]) == ("trusted", "trusted"), (result, process.stderr)
    assert_quiet(process, lines=1, contains="private key")


def test_a_stderr_that_makes_a_context_while_the_hashed_directory_is_built(
    run, core_venv, intercept, tmp_path
):
    """A refused cache is said while the lazy roots are looked for: the write's context loads eagerly."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # writable by others: refused, with one line
    result, process = reentry(
        run,
        core_venv,
        "stderr",
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_EXPORT_ENV="0",
        SANDBOX_TRUST_CACHE_DIR=str(shared / "cache"),
    )
    assert (result["inner"], result["outer"]) == ("trusted", "trusted"), (result, process.stderr)
    assert result["inner_seconds"] < AT_ONCE, result
    assert len(stderr_lines(process)) == 1 and "refusing cache directory" in process.stderr, process.stderr


CAUGHT_BETWEEN_WAITS = """
import os, signal, sys
import _sandbox_trust_boot as boot

class Deadline(Exception):
    pass

def handler(signum, frame):
    raise Deadline("the app's deadline")

signal.signal(signal.SIGUSR1, handler)
try:
    try:  # our code, not a wait: the handler runs at the next bytecode, inside this try
        os.kill(os.getpid(), signal.SIGUSR1)
        sum(range(1000))
    except Exception:
        boot.internal_error("a step of ours")
    print("swallowed")
except Deadline:
    print("passed on")
try:
    try:
        raise ValueError("a bug of ours")
    except Exception:
        boot.internal_error("a step of ours")
    print("reported")
except ValueError:
    print("raised")
"""


def test_a_signal_handlers_exception_between_waits_reaches_the_app(run, core_venv, intercept):
    """Outside any wait too: the handler's exception passes; an error of ours is still one line."""
    process = run(core_venv, ["-c", CAUGHT_BETWEEN_WAITS], SANDBOX_CA_CERT=intercept.ca_path)
    assert process.stdout.split() == ["passed", "on", "reported"], process.stdout + process.stderr
    assert stderr_lines(process) == [
        "sandbox-trust: internal error in a step of ours: ValueError: a bug of ours "
        "(SANDBOX_TRUST_DEBUG=1 shows more)"
    ], process.stderr
