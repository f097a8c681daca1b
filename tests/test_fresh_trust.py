"""Trust follows the files: a bundle changed while a process runs reaches its next context.

Stock Python reads the default file (and a file handed to ``load_verify_locations``) again for
every new context. A process with sandbox-trust must see at its next context what stock sees,
plus the CA, however the bundle changed (renamed over, rewritten in place with size and mtime
kept, a symlink retargeted), whichever way the client names it (``certifi.where()`` per context
or bound once, requests, OpenSSL's default file through SSL_CERT_FILE), lazy roots on or off.
Each case runs twice in the same test: with the package and opted out (the stock twin).

The bundle first holds the CA of origin ``old`` and then that of origin ``new`` (the same size).
No system file is touched: certifi is a private copy on PYTHONPATH, SSL_CERT_FILE a private file.
"""

import os
import shutil

import pytest

PAD = 6000  # both bundles are padded to this size with a comment: a rewrite in place keeps it


def _padded(pem_path):
    with open(pem_path, "rb") as f:
        data = f.read()
    data = data if data.endswith(b"\n") else data + b"\n"
    filler = PAD - len(data) - 1
    assert filler > 2, "the CA is larger than the test's bundle size"
    return data + b"#" * filler + b"\n"


def _prepare(tmp_path, venv, mode, how, old_ca, new_ca):
    """``(environment, bundle path, file holding the new content)`` for one run."""
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    old.write_bytes(_padded(old_ca))
    new.write_bytes(_padded(new_ca))
    env = {"SANDBOX_TRUST_CACHE_DIR": str(tmp_path / "cache")}
    if mode in ("default paths", "urllib"):
        bundle = tmp_path / "roots.pem"
        env["SSL_CERT_FILE"] = str(bundle)
    else:  # certifi's bundle, in a private copy of the package that shadows the venv's
        package = tmp_path / "site" / "certifi"
        shutil.copytree(os.path.join(venv.site_packages, "certifi"), package)
        bundle = package / "cacert.pem"
        bundle.unlink()
        env["PYTHONPATH"] = str(tmp_path / "site")
    if how == "symlink retarget":
        target = tmp_path / "roots-v1.pem"
        shutil.copy(old, target)
        bundle.symlink_to(target)
    else:
        shutil.copy(old, bundle)
    return env, str(bundle), str(new)


MODES = ["where each time", "where bound", "requests", "default paths", "urllib"]
HOWS = ["os.replace", "in place", "symlink retarget"]


@pytest.mark.parametrize("lazy", ["lazy roots", "eager"])
@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("mode", MODES)
def test_next_context_sees_what_stock_sees(run, core_venv, intercept, unrelated, private, tmp_path, mode, how, lazy):
    old, new = unrelated, private  # the CA removed by the change, the CA added by it
    urls = [old.url, new.url, intercept.url]
    outcomes = {}
    for twin in ("stock", "package"):
        directory = tmp_path / twin
        directory.mkdir()
        env, bundle, new_file = _prepare(directory, core_venv, mode, how, old.ca_path, new.ca_path)
        env["SANDBOX_CA_CERT"] = intercept.ca_path
        env["SANDBOX_TRUST_LAZY_ROOTS"] = "1" if lazy == "lazy roots" else "0"
        if twin == "stock":
            env["SANDBOX_TRUST_DISABLE"] = "1"
        outcomes[twin], process = run.script(core_venv, "fresh_trust", mode, how, bundle, new_file, *urls, **env)
        assert process.stderr == "", process.stderr
    stock, package = outcomes["stock"], outcomes["package"]
    # What stock does, so that this test can tell: the old CA, then the new one.
    assert [stock["before"][old.url], stock["before"][new.url]] == ["trusted", "rejected"], stock
    assert [stock["after"][old.url], stock["after"][new.url]] == ["rejected", "trusted"], stock
    for when in ("before", "after"):
        assert package[when][old.url] == stock[when][old.url], (when, outcomes)
        assert package[when][new.url] == stock[when][new.url], (when, outcomes)
        assert package[when][intercept.url] == "trusted" and stock[when][intercept.url] == "rejected", outcomes
