"""Every input is part of a merged bundle's identity: a user's SSL_CERT_DIR entry by entry.

curl reads SSL_CERT_DIR only while CURL_CA_BUNDLE is unset, so start-up exports there a bundle
holding that directory's certificates; later starts find it in the private cache by the identity
of its inputs. A CA the user removed from the directory must be gone from the very next start's
bundle, however it was removed: a file rewritten in place with its size and mtime kept, a
``<hash>.0`` symlink retargeted, the file a symlink names rewritten, an entry removed, a link left
dangling; and one added must be there. The directory's own stat changes for none of the first
three. Each variant: a first start warms the cache, the directory changes, then a second start's
child curl must do what curl does with the directory itself (the stock twin, opted out).
"""

import os
import shutil
import subprocess

import pytest

PAD = 6000


def _padded(pem_path):
    with open(pem_path, "rb") as f:
        data = f.read()
    data = data if data.endswith(b"\n") else data + b"\n"
    return data + b"#" * (PAD - len(data) - 1) + b"\n"


def _subject_hash(pem_path):
    command = ["openssl", "x509", "-noout", "-subject_hash", "-in", pem_path]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _same_mtime(path, change):
    """``change()`` the file at ``path`` (through its symlinks), then put its mtime back."""
    before = os.stat(path)
    change()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)


def _rewrite(path, data):
    with open(path, "r+b") as f:
        f.write(data)


CHANGES = [
    "entry rewritten in place",  # the old CA's <hash>.0 now holds the new CA (misnamed: found by neither)
    "link retargeted",  # <old hash>.0 -> another file: the old CA is gone
    "link target rewritten in place",  # Debian's layout: the link stays, the file it names changes
    "entry removed",
    "link left dangling",
    "entry added",  # the new CA under its own hash: trusted from the next start on
]


def _curl_outcomes(run, venv, env, origins):
    """``{url: outcome}`` of a curl child of ``venv``'s Python for each origin, under ``env``."""
    return {origin.url: run.probe(venv, "child_curl", origin.url, **env)[0] for origin in origins}


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_ssl_cert_dir_changes_the_exported_bundle(run, core_venv, intercept, unrelated, private, tmp_path, change):
    if shutil.which("curl") is None or shutil.which("openssl") is None:
        pytest.skip("needs curl and openssl")
    old, new = unrelated, private
    store = tmp_path / "store"  # where links point, as /usr/share/ca-certificates on Debian
    store.mkdir()
    (store / "old.pem").write_bytes(_padded(old.ca_path))
    (store / "new.pem").write_bytes(_padded(new.ca_path))
    directory = tmp_path / "certs"
    directory.mkdir()
    old_name = directory / (_subject_hash(old.ca_path) + ".0")
    new_name = directory / (_subject_hash(new.ca_path) + ".0")
    linked = change.startswith("link")
    if linked:
        old_name.symlink_to(store / "old.pem")
    else:
        shutil.copy(store / "old.pem", old_name)
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": str(tmp_path / "cache"),
        "SSL_CERT_DIR": str(directory),
    }

    def outcomes(**extra):
        return _curl_outcomes(run, core_venv, dict(env, **extra), (old, new, intercept))

    first = outcomes()
    assert [first[old.url], first[new.url], first[intercept.url]] == ["trusted", "rejected", "trusted"], first

    directory_before = os.stat(directory)
    if change == "entry rewritten in place":
        _same_mtime(old_name, lambda: _rewrite(old_name, (store / "new.pem").read_bytes()))
    elif change == "link retargeted":
        (directory / "next").symlink_to(store / "new.pem")
        os.replace(directory / "next", old_name)
    elif change == "link target rewritten in place":
        _same_mtime(store / "old.pem", lambda: _rewrite(store / "old.pem", (store / "new.pem").read_bytes()))
    elif change == "entry removed":
        old_name.unlink()
    elif change == "link left dangling":
        (store / "old.pem").unlink()
    elif change == "entry added":
        shutil.copy(store / "new.pem", new_name)
    if change in ("entry rewritten in place", "link target rewritten in place"):
        after = os.stat(directory)  # what the identity used to be: it cannot tell
        assert (after.st_mtime_ns, after.st_ctime_ns) == (directory_before.st_mtime_ns, directory_before.st_ctime_ns)

    stock = outcomes(SANDBOX_TRUST_DISABLE="1")
    package = outcomes()
    assert stock[intercept.url] == "rejected" and package[intercept.url] == "trusted", (stock, package)
    assert [package[old.url], package[new.url]] == [stock[old.url], stock[new.url]], (stock, package)
    expected_new = "trusted" if change == "entry added" else "rejected"
    assert [stock[old.url], stock[new.url]] == ["trusted" if change == "entry added" else "rejected", expected_new]


FILE_CHANGES = ["rewritten in place", "link retargeted", "link target rewritten in place", "renamed over"]


@pytest.mark.parametrize("change", FILE_CHANGES)
def test_a_changed_ssl_cert_file_changes_the_exported_bundle(run, core_venv, intercept, unrelated, private, tmp_path, change):
    """The same for a user's SSL_CERT_FILE (one stat per start): the old CA out, the new one in."""
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    old, new = unrelated, private
    (tmp_path / "old.pem").write_bytes(_padded(old.ca_path))
    (tmp_path / "new.pem").write_bytes(_padded(new.ca_path))
    bundle = tmp_path / "roots.pem"
    if change.startswith("link"):
        bundle.symlink_to(tmp_path / "old.pem")
    else:
        shutil.copy(tmp_path / "old.pem", bundle)
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SANDBOX_TRUST_CACHE_DIR": str(tmp_path / "cache"),
        "SSL_CERT_FILE": str(bundle),
    }

    def outcomes(**extra):
        return _curl_outcomes(run, core_venv, dict(env, **extra), (old, new, intercept))

    first = outcomes()
    assert [first[old.url], first[new.url], first[intercept.url]] == ["trusted", "rejected", "trusted"], first
    new_data = (tmp_path / "new.pem").read_bytes()
    if change == "rewritten in place":
        _same_mtime(bundle, lambda: _rewrite(bundle, new_data))
    elif change == "link retargeted":
        (tmp_path / "next").symlink_to(tmp_path / "new.pem")
        os.replace(tmp_path / "next", bundle)
    elif change == "link target rewritten in place":
        _same_mtime(tmp_path / "old.pem", lambda: _rewrite(tmp_path / "old.pem", new_data))
    else:
        os.rename(tmp_path / "new.pem", bundle)

    stock = outcomes(SANDBOX_TRUST_DISABLE="1")
    package = outcomes()
    assert [stock[old.url], stock[new.url], stock[intercept.url]] == ["rejected", "trusted", "rejected"], stock
    assert [package[old.url], package[new.url], package[intercept.url]] == ["rejected", "trusted", "trusted"], package
