"""Rotation in place: a CA rewritten with the same inode, size and mtime changes what is exported.

The new CA is written into the same file (``r+b``, same length) and the old mtime restored, as
``cp -p`` or an image layer can leave it: every start after that must export bundles with the
new CA (curl, a child, trusts the new origin and rejects the old one), not the cached old ones.
"""

import os

import pytest

from tests import servers
from tests.hardening import assert_quiet, probe


@pytest.fixture
def same_size_origins(tmp_path):
    """Two origins whose CA PEM files have the same size (a rotation that keeps the size).

    Key and signature lengths vary, so the shorter file is padded with newlines after its END line
    (text outside the PEM block, as a real CA file may carry): sizes equal on every run.
    """
    origins = []
    try:
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            origins.append(servers.Origin(tmp_path / name).__enter__())
        size = max(os.path.getsize(origin.ca_path) for origin in origins)
        for origin in origins:
            with open(origin.ca_path, "ab") as f:
                f.write(b"\n" * (size - os.path.getsize(origin.ca_path)))
        yield origins
    finally:
        for origin in origins:
            origin.__exit__(None, None, None)


@pytest.mark.parametrize("how", ["rewrite r+b, mtime restored", "cp -p over it"])
def test_ca_rewritten_in_place_is_picked_up(run, core_venv, tmp_path, same_size_origins, how):
    old, new = same_size_origins
    ca_path = str(tmp_path / "ca.pem")
    with open(old.ca_path, "rb") as f:
        old_pem = f.read()
    with open(new.ca_path, "rb") as f:
        new_pem = f.read()
    with open(ca_path, "wb") as f:
        f.write(old_pem)
    env = dict(SANDBOX_CA_CERT=ca_path, SANDBOX_TRUST_CACHE_DIR=str(tmp_path / "cache"))
    report, process = probe(run, core_venv, "report", old.url, new.url, **env)
    assert report[old.url]["curl"] == "trusted" and report[new.url]["curl"] == "rejected", report

    before = os.stat(ca_path)
    if how.startswith("rewrite"):
        with open(ca_path, "r+b") as f:
            f.write(new_pem)
    else:
        staged = str(tmp_path / "staged.pem")
        with open(staged, "wb") as f:
            f.write(new_pem)
        os.utime(staged, ns=(before.st_atime_ns, before.st_mtime_ns))
        with open(staged, "rb") as src, open(ca_path, "r+b") as dst:  # cp -p: same inode, data, then times
            dst.write(src.read())
    os.utime(ca_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(ca_path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )

    report, process = probe(run, core_venv, "report", old.url, new.url, **env)
    assert_quiet(process, lines=0)
    assert report[new.url] == {"urllib": "trusted", "requests": "trusted", "curl": "trusted"}, report
    assert report[old.url] == {"urllib": "rejected", "requests": "rejected", "curl": "rejected"}, report
    with open(report["environ"]["SSL_CERT_FILE"], "rb") as f:
        exported = f.read()
    assert new_pem.strip() in exported.replace(b"\r\n", b"\n") and old_pem.strip() not in exported
