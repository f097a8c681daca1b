"""pip's own CA settings keep working: a download from a private index signed by the user's CA.

``--cert``, ``PIP_CERT`` and a config file's ``cert =`` each make pip verify against that file; the
exported ``REQUESTS_CA_BUNDLE`` must not override them in pip's process (pip's vendored requests).
Each case runs with the package active (the CA present) and opted out, and must download in both;
the twins (no setting, the setting naming an unrelated CA) must fail verification in both.
"""

import pytest

from tests.isolation_index import PROJECT, IndexOrigin, downloaded


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The private index; its CA is the user's own."""
    with IndexOrigin(tmp_path_factory.mktemp("index")) as origin:
        yield origin


def pip_download(run, venv, index, tmp_path, how, ca_path, **env):
    """``(downloaded?, output)`` of one ``pip download`` with pip told about ``ca_path`` by ``how``."""
    target = tmp_path / ("download-%d" % len(list(tmp_path.iterdir())))
    args = ["-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d", str(target)]
    args += ["--index-url", index.index_url, "--retries", "0", "--timeout", "10"]
    if how == "--cert":
        args += ["--cert", ca_path]
    elif how == "PIP_CERT":
        env["PIP_CERT"] = ca_path
    elif how == "config":
        config = tmp_path / "pip.conf"
        config.write_text("[global]\ncert = %s\n" % ca_path)
        env["PIP_CONFIG_FILE"] = str(config)
    process = run(venv, [*args, PROJECT], timeout=180, **env)
    return downloaded(str(target)), process.stdout + process.stderr


@pytest.mark.parametrize("opted_out", [False, True], ids=["package", "opted-out"])
@pytest.mark.parametrize("how", ["--cert", "PIP_CERT", "config"])
def test_pip_cert_settings_reach_a_private_index(run, core_venv, intercept, index, tmp_path, how, opted_out):
    env = {"SANDBOX_CA_CERT": intercept.ca_path}
    if opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    ok, output = pip_download(run, core_venv, index, tmp_path, how, index.ca_path, **env)
    assert ok, output


@pytest.mark.parametrize("opted_out", [False, True], ids=["package", "opted-out"])
@pytest.mark.parametrize("how", [None, "--cert"])
def test_private_index_rejected_without_its_ca(
    run, core_venv, intercept, unrelated, index, tmp_path, how, opted_out
):
    """No setting: pip's defaults (plus the CA) do not include the user's CA; ``--cert`` of another CA."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path}
    if opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    ok, output = pip_download(run, core_venv, index, tmp_path, how, unrelated.ca_path, **env)
    assert not ok and "CERTIFICATE_VERIFY_FAILED" in output, output
