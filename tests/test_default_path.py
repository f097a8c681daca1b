"""The CA at the runtime's real default path, with no SANDBOX_* variable at all, is trusted.

The child sees the CA at /etc/cloudflare/certs/ in a private mount namespace, so the other test
runs sharing this machine never see a CA at the default path; without namespaces the file is
written for real and removed afterwards.
"""

import os
import shutil
import stat
import subprocess

import pytest

from tests.harness import load_boot

DEFAULT_CA = load_boot().DEFAULT_CA_PATH
DEFAULT_DIR = os.path.dirname(os.path.dirname(DEFAULT_CA))  # /etc/cloudflare: bind-mounted in a namespace
CLIENTS = ("urllib_request", "requests", "httpx")


class _Wrapped:
    """Stands in for a Venv: ``python`` runs the venv's interpreter inside the namespace."""

    def __init__(self, python):
        self.python = python


def _namespaces_work():
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def at_default_path(core_venv, intercept, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("placing a CA at %s needs root (CI runs these tests as root)" % DEFAULT_CA)
    if os.path.exists(DEFAULT_CA):
        pytest.skip("%s already exists on this machine: not touching it" % DEFAULT_CA)
    created = []
    if not os.path.isdir(DEFAULT_DIR):
        os.makedirs(DEFAULT_DIR)  # an empty directory: the .pth looks for the file, not this
        created.append(DEFAULT_DIR)
    try:
        if _namespaces_work():
            root = tmp_path_factory.mktemp("etc-cloudflare")
            os.makedirs(root / "certs")
            shutil.copy(intercept.ca_path, root / "certs" / os.path.basename(DEFAULT_CA))
            wrapper = root.parent / (root.name + "-python")
            wrapper.write_text(
                "#!/bin/sh\nexec unshare --mount --propagation private /bin/sh -c "
                '\'mount --bind "$0" %s && exec "$@"\' %s %s "$@"\n' % (DEFAULT_DIR, root, core_venv.python)
            )
            wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
            yield _Wrapped(str(wrapper))
        else:
            if not os.path.isdir(os.path.dirname(DEFAULT_CA)):
                os.mkdir(os.path.dirname(DEFAULT_CA))
                created.insert(0, os.path.dirname(DEFAULT_CA))
            shutil.copy(intercept.ca_path, DEFAULT_CA)
            created.insert(0, DEFAULT_CA)
            yield core_venv
    finally:
        for path in created:  # innermost first
            if os.path.isdir(path):
                os.rmdir(path)
            elif os.path.exists(path):
                os.unlink(path)


@pytest.mark.parametrize("client", CLIENTS)
def test_default_path_is_trusted_and_only_it(run, at_default_path, trio, client):
    env = {k: v for k, v in trio.env.items() if k != "SANDBOX_CA_CERT"}  # the CA is at the default path
    outcome, process = run.probe(at_default_path, client, trio.url, **env)
    trio.check(outcome, process, quiet=True)
