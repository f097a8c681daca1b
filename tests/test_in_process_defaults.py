"""In-process OpenSSL defaults are read as stock reads them: the user's values, never our snapshot.

SSL_CERT_FILE in the process environment holds the merged bundle exported for children (its base
as it was when the bundle was built). Python's ``set_default_verify_paths`` must instead load what
stock loads at that call, the user's own SSL_CERT_FILE or OpenSSL's default, plus the CA for clients
(``patches/ssl_context.py``, ``user_default_paths``). Each case runs with the package and opted out
(stock) in the same test and requires the same outcomes, except that the CA is trusted with it.
"""

import shutil

import pytest

T, R = "trusted", "rejected"


@pytest.mark.parametrize("lazy", ["1", "0"], ids=["lazy-roots", "eager"])
@pytest.mark.parametrize("package", [True, False], ids=["package", "stock"])
def test_rewritten_user_cert_file_is_followed(run, core_venv, intercept, private, unrelated, tmp_path, lazy, package):
    user_file = tmp_path / "user-roots.pem"
    shutil.copy(private.ca_path, user_file)
    env = {
        "SANDBOX_CA_CERT": intercept.ca_path,
        "SSL_CERT_FILE": str(user_file),
        "SANDBOX_TRUST_LAZY_ROOTS": lazy,
    }
    if not package:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    urls = (private.url, unrelated.url, intercept.url)
    found, process = run.script(core_venv, "follow_cert_file", str(user_file), unrelated.ca_path, *urls, **env)
    ca = T if package else R
    # The private CA was replaced by the unrelated one in the user's file: the next context follows.
    assert found == {"before": [T, R, ca], "after": [R, T, ca]}, process.stderr
