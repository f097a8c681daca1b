"""The record of what was exported (``SANDBOX_TRUST_EXPORTED``), as children of a Python process see it.

- a child with the package treats inherited values as its parent's originals: isolation holds in
  the child too, and a CA rotated since the parent exported is rebuilt from the original base;
- a child started with ``SANDBOX_TRUST_DISABLE=1`` gets back the values its parent had before the
  export, so it trusts exactly what it would have without the package anywhere;
- the record is inherited environment, so hostile: malformed means ignored, and it cannot add trust.
Every child runs from a parent with the package active and, as its twin, from a parent opted out.
"""

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ISOLATION_CLIENTS, ISOLATION_PROBES
from tests.harness import PROBES, SYSTEM_BUNDLE, fingerprints, last_json, load_boot, script


@pytest.fixture(scope="module")
def venv(make_venv):
    return make_venv(*ISOLATION_CLIENTS)  # test_isolation's venv (cached by its package set)


PARENT = script("isolation_parent")
T, R = "trusted", "rejected"


boot = load_boot()


def child(run, python_venv, child_args, options=(), **env):
    """Run ``python ARGS`` as the child of a Python parent (started with ``env``); its JSON line."""
    process = run(python_venv, [PARENT, *options, "--", *child_args], timeout=180, **env)
    found = last_json(process.stdout)
    assert process.returncode == 0 and found, process.stdout + process.stderr
    return found, process


def report(run, python_venv, options=(), **env):
    return child(run, python_venv, [PARENT, "report"], options, **env)


# --- opted-out children ---------------------------------------------------------------------


def test_opted_out_child_gets_the_values_from_before_the_export(run, core_venv, intercept, tmp_path):
    user = str(tmp_path / "user-ca.pem")
    shutil.copy(intercept.ca_path, user)  # a value of the user's own: restored, not removed
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "CURL_CA_BUNDLE": user}
    opt_out = ("--set", "SANDBOX_TRUST_DISABLE=1")
    found, process = report(run, core_venv, opt_out, **env)
    baseline, _ = report(run, core_venv, opt_out, SANDBOX_TRUST_DISABLE="1", **env)
    assert found["env"] == baseline["env"], process.stderr
    assert found["env"] == {**dict.fromkeys(found["env"]), "CURL_CA_BUNDLE": user}
    assert process.stderr == ""


@pytest.mark.parametrize("client", ["urllib_request", "requests", "child_curl"])
@pytest.mark.parametrize("parent_opted_out", [False, True], ids=["parent-package", "parent-opted-out"])
def test_opted_out_child_rejects_the_ca(run, core_venv, intercept, client, parent_opted_out):
    """Neither the child (no patches) nor what it starts (curl) trusts the CA through the parent's bundles."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path}
    if parent_opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    found, process = child(
        run, core_venv, [PROBES, client, intercept.url], ("--set", "SANDBOX_TRUST_DISABLE=1"), **env
    )
    assert found["outcome"] == R, found


@pytest.mark.parametrize("client", ["urllib_request", "requests", "child_curl"])
def test_child_with_the_package_trusts_the_ca(run, core_venv, intercept, unrelated, client):
    """The twin: not opted out, the child and its children trust the CA, and nothing else."""
    for origin, expected in ((intercept, T), (unrelated, R)):
        found, process = child(
            run, core_venv, [PROBES, client, origin.url], SANDBOX_CA_CERT=intercept.ca_path
        )
        assert found["outcome"] == expected, (found, process.stderr)


# --- children with the package --------------------------------------------------------------


def test_child_records_its_parents_originals(run, core_venv, intercept):
    found, process = report(run, core_venv, SANDBOX_CA_CERT=intercept.ca_path)
    assert process.stderr == ""
    record = found["record"]
    assert record["REQUESTS_CA_BUNDLE"] == [None, found["env"]["REQUESTS_CA_BUNDLE"]]
    assert record["SSL_CERT_FILE"] == [None, found["env"]["SSL_CERT_FILE"]]
    assert boot.decode_record(found["env"]["SANDBOX_TRUST_EXPORTED"], found["env"].get) == {
        name: tuple(entry) for name, entry in record.items() if name in found["env"]
    }


@pytest.mark.parametrize("parent_opted_out", [False, True], ids=["parent-package", "parent-opted-out"])
def test_isolation_holds_in_the_child(run, venv, intercept, unrelated, private, parent_opted_out):  # noqa: F811
    """Session.verify = False and an app's own CA work in a child of an exporting parent as without the package."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "PROBE_CA_BUNDLE": private.ca_path}
    if parent_opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    urls = [private.url, intercept.url, unrelated.url]
    cases = {
        ("requests", "session-verify-false"): [T, T, T],
        ("requests", "session-verify-path"): [T, R, R],
        ("httpx", "verify-context"): [T, R, R],
        ("botocore", "verify-path"): [T, R, R],
    }
    for (client, case), expected in cases.items():
        found, process = child(run, venv, [ISOLATION_PROBES, client, case, *urls], **env)
        assert found["outcomes"] == expected, (client, case, found, process.stderr)


def test_rotated_ca_is_rebuilt_from_the_original_base(run, core_venv, intercept, unrelated, tmp_path):
    """The CA changed after the parent exported: the child's bundles hold the new CA and not the old."""
    ca_path = str(tmp_path / "ca.pem")
    shutil.copy(intercept.ca_path, ca_path)
    rotate = ("--replace-ca", unrelated.ca_path)
    found, process = report(run, core_venv, rotate, SANDBOX_CA_CERT=ca_path)
    old, new = fingerprints(intercept.ca_path), fingerprints(unrelated.ca_path)
    certifi = fingerprints(core_venv.site_packages + "/certifi/cacert.pem")
    system = fingerprints(SYSTEM_BUNDLE)
    assert fingerprints(found["env"]["REQUESTS_CA_BUNDLE"]) == certifi | new, process.stderr
    assert fingerprints(found["env"]["SSL_CERT_FILE"]) == system | new
    assert fingerprints(found["env"]["NODE_EXTRA_CA_CERTS"]) == new
    # And what the child starts: curl trusts the new CA's origin, no longer the old one's.
    for origin, expected in ((unrelated, T), (intercept, R)):
        shutil.copy(intercept.ca_path, ca_path)
        found, process = child(
            run, core_venv, [PROBES, "child_curl", origin.url], rotate, SANDBOX_CA_CERT=ca_path
        )
        assert found["outcome"] == expected, (found, process.stderr)
    assert not old & new


# --- the record is hostile input ------------------------------------------------------------

HOSTILE = [
    "garbage",
    "SSL_CERT_FILE=",
    "SSL_CERT_FILE=-99:/short",
    "SSL_CERT_FILE=-x:/a",
    "PATH=-3:/x",  # a name that is not ours: the whole record is ignored
    "SSL_CERT_FILE=-5:/evilSSL_CERT_FILE=-5:/evil",
    "SSL_CERT_FILE=5:/evil-",
    "SSL_CERT_FILE=-\u0665:/evil",
]


@pytest.mark.parametrize("record", HOSTILE)
@pytest.mark.parametrize("opted_out", [False, True], ids=["package", "opted-out"])
def test_malformed_record_is_ignored(run, core_venv, intercept, unrelated, record, opted_out):
    """The same start as without the record: same variables, same trust, not a line on stderr."""
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "SSL_CERT_FILE": unrelated.ca_path}  # the user's own
    if opted_out:
        env["SANDBOX_TRUST_DISABLE"] = "1"
    results = []
    for extra in ({"SANDBOX_TRUST_EXPORTED": record}, {}):
        found, process = report(run, core_venv, **env, **extra)
        assert process.stderr == ""
        outcomes = [
            run.probe(core_venv, "urllib_request", origin.url, **env, **extra)[0]
            for origin in (intercept, unrelated)
        ]
        results.append((found["env"]["SSL_CERT_FILE"], found["record"], outcomes))
    assert results[0] == results[1]
    assert results[0][2] == ([R, T] if opted_out else [T, T])


_values = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(boot.EXPORTED_VARIABLES), st.tuples(st.none() | _values, _values.filter(bool))
    )
)
def test_record_round_trips(record):
    environ = {name: after for name, (_before, after) in record.items()}
    expected = {name: entry for name, entry in record.items() if entry[0] != entry[1]}
    assert boot.decode_record(boot.encode_record(record), environ.get) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_decoding_any_text_never_crashes_and_never_names_other_variables(text):
    try:
        record = boot.decode_record(text, lambda name: None)
    except ValueError:
        return
    assert set(record) <= set(boot.EXPORTED_VARIABLES)
