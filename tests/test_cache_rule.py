"""One rule chooses the private cache: the start-time fast path, the writer and ``status`` agree.

``sandbox_trust._cache`` owns the rule (the first candidate that exists and is private, or that
does not exist and can be made); the start-time module has a copy of its warm case only. For each
layout below, the fast path, the rule and ``status`` must name the same directory, the fast path
must stay fast where the layout is ordinary, and a real start with the CA present must write its
bundles there (its opted-out twin writes nothing anywhere).
"""

import json
import os

import pytest


def _layout(kind, tmp_path):
    """``(environment, the directory the rule must choose or None, exists, fast path only)``."""
    home = tmp_path / "user"
    home.mkdir()
    temp = tmp_path / "temp"
    temp.mkdir()
    in_home = str(home / ".cache" / "sandbox-trust")
    in_temp = str(temp / ("sandbox-trust-%d" % os.geteuid()))
    env = {"HOME": str(home), "TMPDIR": str(temp)}
    if kind == "home cache exists":
        os.makedirs(in_home, mode=0o700)
        return env, in_home, True, True
    if kind == "home cache absent, temp cache exists":  # the home one can be made: it wins
        os.makedirs(in_temp, mode=0o700)
        return env, in_home, False, True
    if kind == "no home, temp cache exists":  # a home directory is never made
        os.makedirs(in_temp, mode=0o700)
        return dict(env, HOME=str(tmp_path / "nonexistent")), in_temp, True, True
    if kind == "no home, temp cache absent":
        return dict(env, HOME=str(tmp_path / "nonexistent")), in_temp, False, True
    if kind == "home cache group-writable":  # refused: the next candidate
        os.makedirs(in_home, mode=0o700)
        os.chmod(in_home, 0o770)
        os.makedirs(in_temp, mode=0o700)
        return env, in_temp, True, False
    if kind == "home through a symlink":  # followed in a trusted directory: the full walk
        os.makedirs(in_home, mode=0o700)
        link = tmp_path / "home-link"
        link.symlink_to(home, target_is_directory=True)
        return dict(env, HOME=str(link)), str(link / ".cache" / "sandbox-trust"), True, False
    if kind == "ours in a sticky shared directory":
        os.chmod(temp, 0o1777)
        os.makedirs(in_temp, mode=0o700)
        return dict(env, HOME=str(tmp_path / "nonexistent")), in_temp, True, True
    if kind == "another user's in a sticky shared directory":
        os.chmod(temp, 0o1777)
        os.makedirs(in_temp, mode=0o700)
        os.chown(in_temp, 1001, 1001)
        return dict(env, HOME=str(tmp_path / "nonexistent")), None, False, False
    if kind == "cache dir set, three levels missing":  # only the last two are ever made
        return dict(env, SANDBOX_TRUST_CACHE_DIR=str(tmp_path / "a" / "." / "b//c")), None, False, True
    if kind == "cache dir set, two levels missing":
        return (
            dict(env, SANDBOX_TRUST_CACHE_DIR=str(tmp_path / "b" / "c")),
            str(tmp_path / "b" / "c"),
            False,
            True,
        )
    raise AssertionError(kind)


LAYOUTS = [
    "home cache exists",
    "home cache absent, temp cache exists",
    "no home, temp cache exists",
    "no home, temp cache absent",
    "home cache group-writable",
    "home through a symlink",
    "ours in a sticky shared directory",
    "another user's in a sticky shared directory",
    "cache dir set, three levels missing",
    "cache dir set, two levels missing",
]


@pytest.mark.parametrize("kind", LAYOUTS)
def test_fast_path_rule_status_and_writer_agree(run, core_venv, intercept, tmp_path, kind):
    if kind.startswith("another user") and os.geteuid() != 0:
        pytest.skip("needs root to chown a directory to another user")
    env, expected, exists, fast = _layout(kind, tmp_path)
    report, process = run.script(core_venv, "cache_rule", SANDBOX_TRUST_DISABLE="1", **env)
    assert report["warm"] == [expected, exists], report
    assert [report["rule"]["directory"], report["rule"]["exists"]] == [expected, exists], report
    assert report["cold"] == (not fast), report
    refused = [entry["directory"] for entry in report["rule"]["refused"]]
    if kind in ("home cache group-writable", "another user's in a sticky shared directory"):
        assert refused and all(entry["why"] for entry in report["rule"]["refused"]), report
    else:
        assert refused == [], report

    status = run(
        core_venv, ["-m", "sandbox_trust", "status", "--json"], SANDBOX_CA_CERT=intercept.ca_path, **env
    )
    status_report = json.loads(status.stdout)
    assert status_report["cache_dir"] == expected, status.stdout
    for entry in report["rule"]["refused"]:  # which and why, in the problems
        assert any(entry["directory"] in p and entry["why"] in p for p in status_report["problems"]), (
            status.stdout
        )

    # A real start writes where the rule said; the opted-out twin writes nothing anywhere.
    before = sorted(os.walk(tmp_path))
    show = "import os; print(os.environ.get('SSL_CERT_FILE') or '')"
    opted_out = run(
        core_venv, ["-c", show], SANDBOX_CA_CERT=intercept.ca_path, SANDBOX_TRUST_DISABLE="1", **env
    )
    assert opted_out.stdout.strip() == "" and opted_out.stderr == ""
    assert sorted(os.walk(tmp_path)) == before
    started = run(core_venv, ["-c", show], SANDBOX_CA_CERT=intercept.ca_path, **env)
    exported = started.stdout.strip()
    if expected is None:
        assert exported == "", started.stdout + started.stderr
    else:
        assert os.path.dirname(exported) == expected, started.stdout + started.stderr
        assert os.stat(expected).st_mode & 0o777 == 0o700
        warm, _ = run.script(core_venv, "cache_rule", SANDBOX_TRUST_DISABLE="1", **env)
        assert warm["warm"] == [expected, True] and warm["rule"]["directory"] == expected, warm
    if expected is None or not exists:  # nothing but the cache was made: never a home directory
        assert not (tmp_path / "nonexistent").exists() and not (tmp_path / "a").exists()
