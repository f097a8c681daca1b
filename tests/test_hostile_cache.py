"""A cache another local user can reach is never used: every ancestor is checked, from / down.

Two real users: the tests run as root (the victim) and ``setpriv`` plays another user (the
attacker, uid 1001). In each hostile layout the attacker controls one ancestor of the victim's
cache directory. The victim's start must refuse that cache with one line, export nothing under
it, and keep trusting the CA (in-process, and in children through the fallback cache). Then the
attacker swaps the directory it controls for one holding bundles with the unrelated CA under
the exported names (the rename race a path-string check cannot see): a child with the
victim's variables must still reject the unrelated origin. Positive twins: layouts where every
ancestor is safe (a sticky /tmp-like directory towards one of ours included) use the cache.
"""

import os
import subprocess

import pytest

from tests.hardening import ATTACKER, arena, as_user, assert_quiet, curl, probe  # noqa: F401 - fixture
from tests.harness import scrubbed_env

VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def _mkdir(path, mode=0o755, uid=0, gid=0):
    os.makedirs(path, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


# Each layout: (environment, the directory the attacker controls or None, how it swaps it).
def _owned_by_attacker(root):
    shared = _mkdir(os.path.join(root, "shared"), uid=ATTACKER, gid=ATTACKER)
    home = _mkdir(os.path.join(shared, "home"))
    return (
        {"HOME": home},
        shared,
        "mv {s}/home {s}/home.old && mkdir -p {s}/home/.cache && cp -r {evil} {s}/home/.cache/sandbox-trust",
    )


def _group_writable(root):
    shared = _mkdir(os.path.join(root, "shared"), mode=0o775, gid=ATTACKER)
    home = _mkdir(os.path.join(shared, "home"))
    return (
        {"HOME": home},
        shared,
        "mv {s}/home {s}/home.old && mkdir -p {s}/home/.cache && cp -r {evil} {s}/home/.cache/sandbox-trust",
    )


def _world_writable(root):
    shared = _mkdir(os.path.join(root, "shared"), mode=0o777)
    home = _mkdir(os.path.join(shared, "home"))
    return (
        {"HOME": home},
        shared,
        "mv {s}/home {s}/home.old && mkdir -p {s}/home/.cache && cp -r {evil} {s}/home/.cache/sandbox-trust",
    )


def _sticky_towards_attacker(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    shared = _mkdir(os.path.join(sticky, "shared"), uid=ATTACKER, gid=ATTACKER)
    home = _mkdir(os.path.join(shared, "home"))
    return (
        {"HOME": home},
        shared,
        "mv {s}/home {s}/home.old && mkdir -p {s}/home/.cache && cp -r {evil} {s}/home/.cache/sandbox-trust",
    )


def _attackers_symlink_in_sticky(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    real = _mkdir(os.path.join(root, "real"))
    _mkdir(os.path.join(real, "home"))
    as_user(ATTACKER, "ln", "-s", real, os.path.join(sticky, "link"))
    swap = "mkdir -p {s}/evil/home/.cache && cp -r {evil} {s}/evil/home/.cache/sandbox-trust && ln -sfn {s}/evil {s}/link"
    return {"HOME": os.path.join(sticky, "link", "home")}, sticky, swap


def _xdg_in_attackers_directory(root):
    shared = _mkdir(os.path.join(root, "shared"), uid=ATTACKER, gid=ATTACKER)
    xdg = _mkdir(os.path.join(shared, "xdg"))
    home = _mkdir(os.path.join(root, "home"))
    return (
        {"HOME": home, "XDG_CACHE_HOME": xdg},
        shared,
        "mv {s}/xdg {s}/xdg.old && mkdir -p {s}/xdg && cp -r {evil} {s}/xdg/sandbox-trust",
    )


def _cache_directory_made_by_attacker(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    as_user(ATTACKER, "mkdir", "-m", "0755", os.path.join(sticky, "sandbox-trust-0"))
    # A relative HOME is no candidate: TMPDIR is the only one, and there is no fallback.
    return {"HOME": "relative-home", "TMPDIR": sticky}, sticky, "cp -r {evil}/. {s}/sandbox-trust-0/"


HOSTILE = {
    "ancestor owned by another user": _owned_by_attacker,
    "ancestor writable by its group": _group_writable,
    "ancestor writable by others": _world_writable,
    "sticky directory towards another user's": _sticky_towards_attacker,
    "another user's symlink in a sticky directory": _attackers_symlink_in_sticky,
    "XDG_CACHE_HOME in another user's directory": _xdg_in_attackers_directory,
    "cache directory made by another user": _cache_directory_made_by_attacker,
}


def _safe_plain(root):
    return {"HOME": _mkdir(os.path.join(root, "home"))}, os.path.join(root, "home", ".cache", "sandbox-trust")


def _safe_sticky(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    mine = _mkdir(os.path.join(sticky, "mine"), mode=0o700)
    return {"HOME": mine}, os.path.join(mine, ".cache", "sandbox-trust")


def _safe_symlink(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    real = _mkdir(os.path.join(root, "real"))
    os.symlink(real, os.path.join(sticky, "link"))  # ours (root's): nobody else can replace it
    return {"HOME": os.path.join(sticky, "link")}, os.path.join(sticky, "link", ".cache", "sandbox-trust")


def _safe_tmpdir(root):
    sticky = _mkdir(os.path.join(root, "sticky"), mode=0o1777)
    return {"HOME": "relative-home", "TMPDIR": sticky}, os.path.join(sticky, "sandbox-trust-0")


SAFE = {
    "every ancestor root's": _safe_plain,
    "sticky directory towards ours": _safe_sticky,
    "our own symlink in a sticky directory": _safe_symlink,
    "made by us in a sticky TMPDIR": _safe_tmpdir,
}


def _exported(report):
    return {name: report["environ"][name] for name in VARIABLES if report["environ"][name]}


@pytest.mark.parametrize("layout", HOSTILE)
def test_hostile_ancestor_is_refused(run, core_venv, intercept, unrelated, arena, layout):  # noqa: F811
    env, controlled, swap = HOSTILE[layout](arena)
    env.setdefault("TMPDIR", os.path.join(arena, "tmp"))  # the fallback: root's, private
    fallback = env["HOME"].startswith("/")  # else TMPDIR was the only candidate, and it is refused
    report, process = probe(run, core_venv, "report", intercept.url, SANDBOX_CA_CERT=intercept.ca_path, **env)
    assert_quiet(process, lines=1, contains="refusing cache directory")
    child = "trusted" if fallback else "rejected"  # nothing exported: a child has no CA, nor a planted one
    assert report[intercept.url] == {"urllib": "trusted", "requests": "trusted", "curl": child}, report
    exported = _exported(report)
    assert bool(exported) == fallback, exported
    for name, path in exported.items():
        assert os.path.isabs(path) and not path.startswith(controlled + os.sep), (name, path)

    # The attacker swaps what it controls for bundles holding the unrelated CA under the exported names.
    evil = os.path.join(arena, "evil")
    os.makedirs(evil)
    with open("/etc/ssl/certs/ca-certificates.crt", "rb") as f:
        roots = f.read()
    with open(unrelated.ca_path, "rb") as f:
        evil_pem = f.read()
    for path in exported.values():
        with open(os.path.join(evil, os.path.basename(path)), "wb") as f:
            f.write(roots + evil_pem)
    os.chmod(evil, 0o755)
    as_user(ATTACKER, "sh", "-c", swap.format(s=controlled, evil=evil))
    child_env = scrubbed_env(run.home, **exported)
    assert curl(unrelated.url, child_env) == "rejected"
    assert curl(intercept.url, child_env) == child
    # And a later start of the victim still refuses, whatever the attacker left there.
    report, process = probe(run, core_venv, "report", unrelated.url, SANDBOX_CA_CERT=intercept.ca_path, **env)
    assert report[unrelated.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, report
    assert_quiet(process, lines=1)


@pytest.mark.parametrize("layout", SAFE)
def test_safe_ancestors_are_used(run, core_venv, intercept, unrelated, arena, layout):  # noqa: F811
    env, cache = SAFE[layout](arena)
    report, process = probe(
        run, core_venv, "report", intercept.url, unrelated.url, SANDBOX_CA_CERT=intercept.ca_path, **env
    )
    assert_quiet(process, lines=0)
    assert report[intercept.url] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, report
    assert report[unrelated.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, report
    exported = _exported(report)
    assert set(exported) == set(VARIABLES), exported
    assert all(os.path.dirname(path) == cache for path in exported.values()), (exported, cache)
    # Opted out: the same layout, nothing trusted.
    report, _ = probe(
        run,
        core_venv,
        "report",
        intercept.url,
        SANDBOX_CA_CERT=intercept.ca_path,
        SANDBOX_TRUST_DISABLE="1",
        **env,
    )
    assert report[intercept.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, report


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o777])
def test_created_directories_are_private_whatever_the_umask(core_venv, intercept, arena, umask):  # noqa: F811
    """``~/.cache`` and the cache itself are made 0700 even under ``umask 000`` (or 777)."""
    home = _mkdir(os.path.join(arena, "home"))
    env = scrubbed_env(home, SANDBOX_CA_CERT=intercept.ca_path, TMPDIR=os.path.join(arena, "none"))
    show = "import os; print(os.environ['SSL_CERT_FILE'])"
    process = subprocess.run(
        [core_venv.python, "-c", show],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )
    assert process.returncode == 0 and process.stderr == "", process.stderr
    cache = os.path.join(home, ".cache", "sandbox-trust")
    assert os.path.dirname(process.stdout.strip()) == cache
    for path in (os.path.join(home, ".cache"), cache):
        assert os.stat(path).st_mode & 0o7777 == 0o700, (path, oct(os.stat(path).st_mode))
