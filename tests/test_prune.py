"""The test venv cache stays bounded: venvs of other wheels go once no session holds them and
none used them for a while; held, recent and current ones stay (tests/conftest.py, ``prune``)."""

import fcntl
import os
import time

from tests import conftest

HOUR = 3600


def _venv(work, name, age=0):
    path = work / name
    (path / "bin").mkdir(parents=True)
    (work / (name + ".lock")).write_text("")
    for entry in (path, work / (name + ".lock")):
        os.utime(entry, (time.time() - age, time.time() - age))
    return path


def _in_use(work, digest, age):
    lock = work / ("in-use-%s.lock" % digest)
    lock.write_text("")
    os.utime(lock, (time.time() - age, time.time() - age))
    return lock


def test_prune_keeps_what_is_held_recent_or_current(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "WORK", str(tmp_path))
    monkeypatch.setattr(conftest, "PRUNE_AFTER", HOUR)
    old, held, recent, current = "a" * 12, "b" * 12, "c" * 12, "d" * 12
    venvs = {d: _venv(tmp_path, "venv-%s-%s" % (d, "0" * 12)) for d in (old, held, recent, current)}
    _in_use(tmp_path, old, 2 * HOUR)
    _in_use(tmp_path, recent, HOUR / 2)
    _in_use(tmp_path, current, 2 * HOUR)
    with open(_in_use(tmp_path, held, 2 * HOUR)) as holder:  # a running session of another checkout
        fcntl.flock(holder, fcntl.LOCK_SH)
        legacy_old = _venv(tmp_path, "venv-" + "e" * 12, age=2 * 86400)
        legacy_new = _venv(tmp_path, "venv-" + "f" * 12, age=HOUR)
        conftest.prune(keep=current)
    assert not venvs[old].exists() and not (tmp_path / ("in-use-%s.lock" % old)).exists()
    assert not os.path.exists(str(venvs[old]) + ".lock")
    assert venvs[held].exists() and venvs[recent].exists() and venvs[current].exists()
    assert not legacy_old.exists() and legacy_new.exists()


def test_a_session_marks_its_wheel_in_use(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "WORK", str(tmp_path))
    monkeypatch.setattr(conftest, "PRUNE_AFTER", 0)
    digest = "1" * 12
    venv = _venv(tmp_path, "venv-%s-%s" % (digest, "0" * 12))
    holder = conftest._hold(digest)
    try:
        conftest.prune(keep="2" * 12)  # another checkout's session, even with no grace period
        assert venv.exists()
    finally:
        holder.close()
    conftest.prune(keep="2" * 12)  # the session ended: now it goes
    assert not venv.exists()
