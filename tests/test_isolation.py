"""Isolation: in the process that exports them, the variables change nothing but adding the CA.

Every case runs the same probe twice in the same venv against the same three origins: with the
package active (the CA present, variables exported) and opted out (``SANDBOX_TRUST_DISABLE=1``: the
``.pth`` line then does nothing at all, the same as without the package). Each case states what
the library does on its own (the opted-out run must show it) and the package may only add the CA
where the library trusts its default roots (or a user's variable, which export extends).
"""

import json
import subprocess

import pytest

from tests.conftest import ISOLATION_CLIENTS, ISOLATION_PROBES, GrpcOrigin, assert_patch_cycle
from tests.harness import SYSTEM_BUNDLE, fingerprints, last_json

T, R = "trusted", "rejected"


@pytest.fixture(scope="module")
def venv(make_venv):
    return make_venv(*ISOLATION_CLIENTS)


@pytest.fixture(scope="module")
def private_dir(private, tmp_path_factory):
    """An OpenSSL hashed directory holding the user's CA: what their SSL_CERT_DIR names."""
    directory = tmp_path_factory.mktemp("private-dir")
    with open(private.ca_path) as source, open(directory / "private.pem", "w") as copy:
        copy.write(source.read())
    subprocess.run(["openssl", "rehash", str(directory)], check=True)
    return str(directory)


@pytest.fixture(scope="module")
def origins(venv, private, intercept, unrelated, tmp_path_factory):
    """``{client kind: [private, intercept, unrelated] URLs}``: HTTPS origins, and gRPC ones for grpc."""
    grpc = [
        GrpcOrigin(venv, origin, str(tmp_path_factory.mktemp("grpc")))
        for origin in (private, intercept, unrelated)
    ]
    yield {"https": [private.url, intercept.url, unrelated.url], "grpc": [origin.url for origin in grpc]}
    for origin in grpc:
        origin.close()


def isolation_probe(run, venv, client, case, urls, **env):
    process = run(venv, [ISOLATION_PROBES, client, case, *urls], timeout=120, **env)
    found = last_json(process.stdout)
    assert process.returncode == 0 and found, process.stdout + process.stderr
    return found, process


# (client, case, the user's variable or None, outcomes with the package: private, intercept, unrelated)
# Opted out, the intercept origin is trusted only where verification is off.
CASES = [
    ("requests", "default", None, (R, T, R)),
    ("requests", "session-verify-false", None, (T, T, T)),
    ("requests", "session-verify-path", None, (T, R, R)),
    ("requests", "request-verify-path", None, (T, R, R)),
    ("requests", "request-verify-false", None, (T, T, T)),
    ("requests", "trust-env-false", None, (R, T, R)),
    ("requests", "default", "REQUESTS_CA_BUNDLE", (T, T, R)),
    ("requests", "default", "CURL_CA_BUNDLE", (T, T, R)),
    # requests' own rule: the user's variable beats Session.verify = False; export extends it.
    ("requests", "session-verify-false", "REQUESTS_CA_BUNDLE", (T, T, R)),
    ("requests", "pip-vendored-session-verify-path", None, (T, R, R)),
    ("httpx", "default", None, (R, T, R)),
    ("httpx", "verify-false", None, (T, T, T)),
    ("httpx", "verify-context", None, (T, R, R)),
    ("httpx", "trust-env-false", None, (R, T, R)),
    ("httpx", "default", "SSL_CERT_DIR", (T, T, R)),
    ("httpx", "default", "SSL_CERT_FILE", (T, T, R)),
    ("httpx2", "default", None, (R, T, R)),
    ("httpx2", "verify-false", None, (T, T, T)),
    ("httpx2", "verify-context", None, (T, R, R)),
    ("httpx2", "trust-env-false", None, (R, T, R)),
    ("httpx2", "default", "SSL_CERT_DIR", (T, T, R)),
    ("httpx2", "default", "SSL_CERT_FILE", (T, T, R)),
    ("botocore", "default", None, (R, T, R)),
    ("botocore", "verify-false", None, (T, T, T)),
    ("botocore", "verify-path", None, (T, R, R)),
    ("botocore", "default", "AWS_CA_BUNDLE", (T, T, R)),
    ("botocore", "default", "REQUESTS_CA_BUNDLE", (T, T, R)),
    ("grpc", "default", None, (R, T, R)),
    ("grpc", "explicit-roots", None, (T, R, R)),
    ("grpc", "default", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", (T, T, R)),
]


def _case_id(case):
    client, name, variable, _ = case
    return "-".join(filter(None, (client, name, variable)))


@pytest.mark.parametrize("client, case, variable, expected", CASES, ids=[_case_id(c) for c in CASES])
def test_same_outcome_as_without_the_package_plus_the_ca(
    request, run, venv, intercept, private, origins, client, case, variable, expected
):
    env = {"SANDBOX_CA_CERT": intercept.ca_path, "PROBE_CA_BUNDLE": private.ca_path}
    if variable:
        env[variable] = (
            request.getfixturevalue("private_dir") if variable == "SSL_CERT_DIR" else private.ca_path
        )
    urls = origins["grpc" if client == "grpc" else "https"]
    with_package, process = isolation_probe(run, venv, client, case, urls, **env)
    opted_out, _ = isolation_probe(run, venv, client, case, urls, SANDBOX_TRUST_DISABLE="1", **env)
    verify_off = expected == (T, T, T)
    assert opted_out["outcomes"] == [expected[0], T if verify_off else R, expected[2]], opted_out
    assert with_package["outcomes"] == list(expected), (with_package, process.stderr)
    if with_package["roots"] is not None and variable != "SSL_CERT_DIR":  # a directory loads lazily
        # The roots the library ends up with: its own default (or the user's) plus the CA, no more.
        adds_ca = expected[1] == T
        ca = fingerprints(intercept.ca_path) if adds_ca else set()
        assert set(with_package["roots"]) == set(opted_out["roots"]) | ca
        assert len(with_package["roots"]) == len(opted_out["roots"]) + len(ca)


SWAPPED_ENVIRON = """
import json, requests
from unittest import mock
found = []
for env in ({"REQUESTS_CA_BUNDLE": "/some/path"}, {"CURL_CA_BUNDLE": "/curl/path"}, {}):
    with mock.patch("os.environ", env):
        found.append(requests.Session().merge_environment_settings("https://x/", {}, False, True, None)["verify"])
print(json.dumps(found))
"""


def test_readers_follow_a_swapped_os_environ(run, venv, intercept):
    """Code may swap os.environ for a plain dict (requests' own tests do, with mock.patch): the
    patched reader then reads that dict, as requests does, with the package as without it."""
    for opt_out in ({}, {"SANDBOX_TRUST_DISABLE": "1"}):
        process = run(venv, ["-c", SWAPPED_ENVIRON], SANDBOX_CA_CERT=intercept.ca_path, **opt_out)
        assert json.loads(process.stdout.splitlines()[-1]) == ["/some/path", "/curl/path", True], opt_out


@pytest.mark.parametrize("client", ["requests", "httpx", "botocore"])
def test_default_roots_are_the_librarys_own_certifi_plus_the_ca(run, venv, intercept, origins, client):
    """Not the system bundle: requests, httpx and botocore default to certifi, and so does their export."""
    found, process = isolation_probe(
        run, venv, client, "default", origins["https"][1:2], SANDBOX_CA_CERT=intercept.ca_path
    )
    assert found["outcomes"] == [T], process.stderr
    code = "import certifi.core, sys; sys.stdout.write(certifi.core.where())"  # the unpatched function
    certifi = run(venv, ["-c", code], SANDBOX_TRUST_DISABLE="1").stdout
    assert set(found["roots"]) == fingerprints(certifi) | fingerprints(intercept.ca_path)
    assert fingerprints(SYSTEM_BUNDLE) - fingerprints(certifi)  # the sets differ here


@pytest.mark.parametrize(
    "patch", ["pip_requests_session", "httpx_config", "httpx2_config", "httpcore2_ssl", "botocore_endpoint"]
)
def test_isolation_patches_apply_and_revert_by_identity(run, venv, intercept, patch):
    assert_patch_cycle(run, venv, intercept.ca_path, patch)
