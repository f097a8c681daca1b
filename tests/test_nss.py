"""``install --nss`` / ``uninstall --nss``: Debian's Chromium, headless, against local origins.

Chromium reads no CA variable: it trusts what the user's NSS database holds. Each test runs the
real ``chromium --headless`` with HOME set to the test's home, so ``$HOME/.pki/nssdb`` is the
test's own database: rejected before, trusted after ``install --nss``, rejected after
``uninstall --nss``, an unrelated CA rejected throughout. certutil itself checks what is in the
database for the rest (rotation, several certificates, a user's own entry, refusals).
"""

import hashlib
import os
import ssl
import subprocess

import pytest

from tests.conftest import cli, status_json
from tests.runtimes import debian_tool

PREFIX = "sandbox-trust sha256 "
# As root (CI, this machine) Chromium needs --no-sandbox; the rest keeps it off the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="module")
def certutil():
    return debian_tool("certutil", "libnss3-tools")


@pytest.fixture(scope="module")
def chromium(certutil):
    return debian_tool("chromium", "chromium")


def fetch(run, chromium, url, tmp_path):
    """``trusted`` or ``rejected``: Chromium's verdict on ``url`` (anything else fails the test)."""
    profile = tmp_path / ("profile-%d" % len(os.listdir(tmp_path)))
    profile.mkdir()
    process = run.command(
        [chromium, *CHROMIUM_FLAGS, "--user-data-dir=%s" % profile, "--dump-dom", url], timeout=90
    )
    if ">ok</pre>" in process.stdout:
        return "trusted"
    if "ERR_CERT_AUTHORITY_INVALID" in process.stderr:
        return "rejected"
    raise AssertionError(
        "chromium neither loaded nor rejected %s:\n%s\n%s" % (url, process.stdout, process.stderr)
    )


def fingerprint(pem_path):
    with open(pem_path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def nicknames(certutil, nssdb):
    """``{nickname: trust}`` in the database, read with certutil directly."""
    listing = subprocess.run(
        [certutil, "-L", "-d", "sql:" + nssdb], capture_output=True, text=True, check=True
    ).stdout
    entries = {}
    for line in listing.splitlines()[3:]:
        name, _, trust = line.rstrip().rpartition(" ")
        if name.strip():
            entries[name.strip()] = trust
    return entries


def test_chromium_trusts_the_ca_only_after_install(
    run, core_venv, chromium, certutil, intercept, unrelated, tmp_path
):
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    nssdb = os.path.join(run.home, ".pki", "nssdb")
    assert fetch(run, chromium, intercept.url, tmp_path) == "rejected"
    for attempt in (1, 2):  # idempotent: the second adds nothing
        process = cli(run, core_venv, "install", "--nss", **ca)
        assert process.returncode == 0, process.stderr
        assert ("1 added" if attempt == 1 else "0 added, 1 already there") in process.stdout, process.stdout
        assert nicknames(certutil, nssdb) == {PREFIX + fingerprint(intercept.ca_path): "C,,"}
    assert oct(os.stat(nssdb).st_mode & 0o777) == "0o700"
    assert fetch(run, chromium, intercept.url, tmp_path) == "trusted"
    assert fetch(run, chromium, unrelated.url, tmp_path) == "rejected"
    report, _ = status_json(run, core_venv, **ca)
    assert report["nss"]["current"] is True and report["problems"] == [], report
    for _attempt in (1, 2):  # idempotent: nothing left to remove is success
        process = cli(run, core_venv, "uninstall", "--nss")
        assert process.returncode == 0, process.stderr
    assert nicknames(certutil, nssdb) == {}
    assert fetch(run, chromium, intercept.url, tmp_path) == "rejected"


def test_a_rotated_ca_is_a_problem_until_install_replaces_it(run, core_venv, certutil, intercept, private):
    nssdb = os.path.join(run.home, ".pki", "nssdb")
    assert cli(run, core_venv, "install", "--nss", SANDBOX_CA_CERT=intercept.ca_path).returncode == 0
    rotated = {"SANDBOX_CA_CERT": private.ca_path}
    report, process = status_json(run, core_venv, **rotated)
    assert process.returncode == 1
    assert report["nss"]["stale"] == [PREFIX + fingerprint(intercept.ca_path)]
    assert any("no longer the injected one" in problem for problem in report["problems"]), report["problems"]
    process = cli(run, core_venv, "install", "--nss", **rotated)
    assert process.returncode == 0 and "1 stale removed" in process.stdout, process.stdout
    assert nicknames(certutil, nssdb) == {PREFIX + fingerprint(private.ca_path): "C,,"}
    report, process = status_json(run, core_venv, **rotated)
    assert process.returncode == 0 and report["nss"]["current"] is True, report


def test_a_ca_of_several_certificates_and_the_users_own_entries(
    run, core_venv, certutil, intercept, private, unrelated, tmp_path
):
    """Each certificate under its own nickname; a user's entries (even of the same CA) stay as they are."""
    bundle = tmp_path / "two.pem"
    bundle.write_text(open(intercept.ca_path).read() + open(private.ca_path).read())
    nssdb = str(tmp_path / "db")
    os.mkdir(nssdb, 0o700)
    subprocess.run([certutil, "-N", "-d", "sql:" + nssdb, "--empty-password"], check=True)
    for name, path, trust in (
        ("their own CA", unrelated.ca_path, "CT,,"),
        ("distrusted by them", private.ca_path, "p,,"),
    ):
        subprocess.run(
            [certutil, "-A", "-d", "sql:" + nssdb, "-n", name, "-t", trust, "-a", "-i", path], check=True
        )
    process = cli(run, core_venv, "install", "--nss", "--nssdb", nssdb, SANDBOX_CA_CERT=str(bundle))
    assert process.returncode == 0, process.stderr
    assert "as 'distrusted by them' (not ours: left as it is)" in process.stdout
    assert nicknames(certutil, nssdb) == {
        "their own CA": "CT,,",
        "distrusted by them": "p,,",  # certutil -A of the same certificate would have made it C,,
        PREFIX + fingerprint(intercept.ca_path): "C,,",
    }
    assert cli(run, core_venv, "uninstall", "--nss", "--nssdb", nssdb).returncode == 0
    assert nicknames(certutil, nssdb) == {"their own CA": "CT,,", "distrusted by them": "p,,"}


@pytest.mark.parametrize("how", ["symlink", "other-owner", "group-writable", "symlink-parent-other-owner"])
def test_a_database_someone_else_can_change_is_refused(run, core_venv, certutil, intercept, tmp_path, how):
    if how != "symlink" and os.geteuid() != 0:
        pytest.skip("chown needs root")
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    nssdb = real
    if how == "symlink":
        nssdb = tmp_path / "link"
        nssdb.symlink_to(real)
    elif how == "other-owner":
        os.chown(real, 4242, 4242)
    elif how == "group-writable":
        real.chmod(0o770)
    else:  # a directory of another user's above: they could swap what the name leads to
        os.chown(real, 4242, 4242)
        nssdb = real / "nssdb"
    before = sorted(os.listdir(real))
    process = cli(
        run, core_venv, "install", "--nss", "--nssdb", str(nssdb), SANDBOX_CA_CERT=intercept.ca_path
    )
    assert process.returncode == 1, process.stdout + process.stderr
    assert "refusing NSS database directory" in process.stderr and "Traceback" not in process.stderr
    assert len(process.stderr.strip().splitlines()) <= 2
    assert sorted(os.listdir(real)) == before  # nothing created there
    process = cli(run, core_venv, "uninstall", "--nss", "--nssdb", str(nssdb))
    if os.path.lexists(nssdb):
        assert process.returncode == 1 and "refusing NSS database directory" in process.stderr
    else:  # nothing there: nothing to remove
        assert process.returncode == 0 and process.stderr == "", process.stderr


def test_without_certutil_one_line_names_the_package(run, core_venv, intercept, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    process = cli(run, core_venv, "install", "--nss", SANDBOX_CA_CERT=intercept.ca_path, PATH=str(empty))
    assert process.returncode == 1
    assert process.stderr.strip().splitlines() == [
        "sandbox-trust: install --nss failed: certutil not found: install Debian's libnss3-tools "
        "(apt-get install libnss3-tools)"
    ]
    assert not os.path.exists(os.path.join(run.home, ".pki"))  # nothing made


def test_install_nss_needs_a_usable_ca(run, core_venv, tmp_path):
    process = cli(run, core_venv, "install", "--nss", SANDBOX_CA_CERT=str(tmp_path / "absent.pem"))
    assert process.returncode == 1 and "no usable CA" in process.stderr
    assert not os.path.exists(os.path.join(run.home, ".pki"))


def test_nssdb_without_nss_is_a_usage_error(run, core_venv):
    process = cli(run, core_venv, "install", "--java", "--nssdb", "/tmp/x")
    assert process.returncode == 2 and "--nssdb only applies with --nss" in process.stderr
    process = cli(run, core_venv, "install")
    assert process.returncode == 2 and "one of the arguments" in process.stderr
