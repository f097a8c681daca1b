"""``install --java`` / ``uninstall --java``: Java children (``java Fetch.java URL``) of a Python process.

The JDK is the machine's (CI and this machine: Debian's OpenJDK 17, whose cacerts is the JKS file
/etc/ssl/certs/java/cacerts). The child is started by a probe in the test venv's interpreter, so
what it trusts is what that process exported: trusted after ``install --java``, rejected opted
out, rejected for an unrelated CA, rejected after ``uninstall --java``. keytool (the JDK's own
reader) checks the store: the JDK's public roots are all still there, plus the CA.
"""

import ast
import glob
import hashlib
import os
import ssl
import subprocess

import pytest

from tests.conftest import cli, status_json
from tests.runtimes import debian_tool

ALIAS = "sandbox-trust-"


@pytest.fixture(scope="module")
def keytool():
    debian_tool("java", "openjdk-17-jdk-headless")
    return debian_tool("keytool", "openjdk-17-jdk-headless")


def java_outcome(run, venv, url, **env):
    outcome, process = run.probe(venv, "child_java", url, **env)
    assert outcome in ("trusted", "rejected"), process.stdout + process.stderr
    return outcome


def store_of(home):
    (store,) = glob.glob(os.path.join(home, ".cache", "sandbox-trust", "java-truststore-*.jks"))
    return store


def keytool_aliases(keytool, store):
    listing = subprocess.run(
        [keytool, "-list", "-keystore", store, "-storepass", "changeit"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split(",", 1)[0] for line in listing.splitlines() if "trustedCertEntry" in line}


def fingerprint(pem_path):
    with open(pem_path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def test_java_children_trust_the_ca_only_after_install(run, core_venv, keytool, intercept, unrelated):
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    assert java_outcome(run, core_venv, intercept.url, **ca) == "rejected"
    for _attempt in (1, 2):  # idempotent
        process = cli(run, core_venv, "install", "--java", **ca)
        assert process.returncode == 0, process.stderr
    assert java_outcome(run, core_venv, intercept.url, **ca) == "trusted"
    assert java_outcome(run, core_venv, intercept.url, SANDBOX_TRUST_DISABLE="1", **ca) == "rejected"
    assert java_outcome(run, core_venv, unrelated.url, **ca) == "rejected"

    # The store: every public root of the JDK's cacerts (ISRG Root X1 among them), plus the CA.
    base = keytool_aliases(keytool, "/etc/ssl/certs/java/cacerts")
    aliases = keytool_aliases(keytool, store_of(run.home))
    assert "debian:isrg_root_x1.pem" in base and base < aliases
    assert aliases - base == {ALIAS + fingerprint(intercept.ca_path)}
    env = cli(run, core_venv, "env", **ca).stdout  # for a JVM that no Python process starts
    assert "export JAVA_TOOL_OPTIONS='-Djavax.net.ssl.trustStore=%s'\n" % store_of(run.home) in env
    report, process = status_json(run, core_venv, **ca)
    assert report["java"]["installed"] is True and report["java"]["store"] == store_of(run.home), report

    for _attempt in (1, 2):  # idempotent
        process = cli(run, core_venv, "uninstall", "--java")
        assert process.returncode == 0, process.stderr
    assert glob.glob(os.path.join(run.home, ".cache", "sandbox-trust", "java-*")) == []
    assert java_outcome(run, core_venv, intercept.url, **ca) == "rejected"
    assert "JAVA_TOOL_OPTIONS" not in cli(run, core_venv, "env", **ca).stdout


def test_the_store_follows_the_ca_when_it_rotates(run, core_venv, keytool, intercept, private):
    """A start after the CA changed builds the store again: the new CA trusted, the old one no longer."""
    assert cli(run, core_venv, "install", "--java", SANDBOX_CA_CERT=intercept.ca_path).returncode == 0
    rotated = {"SANDBOX_CA_CERT": private.ca_path}
    assert java_outcome(run, core_venv, private.url, **rotated) == "trusted"
    assert java_outcome(run, core_venv, intercept.url, **rotated) == "rejected"
    stores = glob.glob(os.path.join(run.home, ".cache", "sandbox-trust", "java-truststore-*.jks"))
    assert len(stores) == 2  # the earlier one stays for processes that still name it, until (un)install
    assert cli(run, core_venv, "install", "--java", **rotated).returncode == 0
    assert {
        os.path.basename(path)
        for path in glob.glob(os.path.join(run.home, ".cache", "sandbox-trust", "java-truststore-*"))
    } == {os.path.basename(store_of(run.home))}


def test_a_users_java_tool_options_are_kept(run, core_venv, keytool, intercept):
    """Extended, never replaced: the user's options come after ours (a -D of theirs wins); opted out, as they were."""
    ca = {"SANDBOX_CA_CERT": intercept.ca_path}
    assert cli(run, core_venv, "install", "--java", **ca).returncode == 0
    theirs = "-Xss2m -Dtheirs=1"
    read = ["-c", "import os; print(os.environ.get('JAVA_TOOL_OPTIONS'))"]
    value = run(core_venv, read, JAVA_TOOL_OPTIONS=theirs, **ca).stdout.strip()
    assert value == "-Djavax.net.ssl.trustStore=%s %s" % (store_of(run.home), theirs)
    assert java_outcome(run, core_venv, intercept.url, JAVA_TOOL_OPTIONS=theirs, **ca) == "trusted"
    # A child Python of that process re-exports the same value, not ours twice.
    nested = ["-c", "import subprocess, sys; subprocess.run([sys.executable, *sys.argv[1:]])", *read]
    assert run(core_venv, nested, JAVA_TOOL_OPTIONS=theirs, **ca).stdout.strip() == value
    assert (
        run(core_venv, read, JAVA_TOOL_OPTIONS=theirs, SANDBOX_TRUST_DISABLE="1", **ca).stdout.strip()
        == theirs
    )
    assert run(core_venv, read, SANDBOX_TRUST_EXPORT_ENV="0", **ca).stdout.strip() == "None"


def test_nothing_exported_without_install(run, core_venv, intercept):
    read = ["-c", "import os; print(os.environ.get('JAVA_TOOL_OPTIONS'))"]
    assert run(core_venv, read, SANDBOX_CA_CERT=intercept.ca_path).stdout.strip() == "None"


def test_install_java_without_a_jdk(run, core_venv, intercept, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    process = cli(run, core_venv, "install", "--java", SANDBOX_CA_CERT=intercept.ca_path, PATH=str(empty))
    assert process.returncode == 1 and "no JDK found" in process.stderr, process.stderr
    process = cli(
        run, core_venv, "install", "--java", SANDBOX_CA_CERT=intercept.ca_path, JAVA_HOME=str(tmp_path)
    )
    assert process.returncode == 1 and "has no bin/keytool" in process.stderr, process.stderr
    assert not glob.glob(os.path.join(run.home, ".cache", "sandbox-trust", "java-*"))


def test_the_start_path_spells_the_names_of_java_module():
    """The boot module and _java_start spell _java's names as literals (a name there costs every start)."""
    from tests.harness import SRC

    java = {}
    for module in ("_java.py", "_cache.py"):
        for node in ast.parse(open(os.path.join(SRC, "sandbox_trust", module)).read()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                java[node.targets[0].id] = node.value.value
    with open(os.path.join(SRC, "_sandbox_trust_boot.py")) as f:
        assert 'os.access("%s", 0, dir_fd=cache_fd)' % java["MARK"] in f.read()
    with open(os.path.join(SRC, "sandbox_trust", "_java_start.py")) as f:
        start = f.read()
    for name in ("MARK", "JAVA_INDEX_PREFIX", "OPTION", "VARIABLE"):
        assert '"%s' % java[name] in start, name


def _fake_jdk(tmp_path, cacerts_bytes):
    """A JDK directory whose keytool is never run (a JKS cacerts is read in Python) and whose cacerts is given."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "lib" / "security").mkdir(parents=True)
    keytool = home / "bin" / "keytool"
    keytool.write_text("#!/bin/sh\necho keytool must not run >&2\nexit 3\n")
    keytool.chmod(0o755)
    (home / "lib" / "security" / "cacerts").write_bytes(cacerts_bytes)
    return str(home)


@pytest.mark.parametrize(
    "content, why",
    [
        (b"", "keytool cannot read"),  # not JKS: keytool is asked, and fails
        (bytes.fromhex("feedfeed0000000200000001") + b"\x00\x00\x00\x02\x00\x01k", "truncated"),
        (bytes.fromhex("feedfeed0000000200000000") + b"\x00" * 20, "holds no certificate"),
        (
            bytes.fromhex("feedfeed0000000200000001")
            + b"\x00\x00\x00\x01\x00\x03key"
            + b"\x00" * 8
            + b"\x00" * 40,
            "not a trusted certificate",
        ),
    ],
    ids=["empty", "truncated", "no-certificate", "private-key-entry"],
)
def test_a_cacerts_that_is_not_a_trust_store_is_refused(run, core_venv, intercept, tmp_path, content, why):
    """Never a CA-only store: a cacerts with no certificate, a key entry or cut short builds nothing."""
    jdk = _fake_jdk(tmp_path, content)
    process = cli(run, core_venv, "install", "--java", SANDBOX_CA_CERT=intercept.ca_path, JAVA_HOME=jdk)
    assert process.returncode == 1 and why in process.stderr, process.stderr
    assert "Traceback" not in process.stderr
    assert not glob.glob(os.path.join(run.home, ".cache", "sandbox-trust", "java-*"))
