"""Fork safety: a child forked while a thread waits for the declared CA, or holds the CA lock.

The child's first TLS context must not inherit a held lock: once the CA lands (the parent
copies it into place half a second after the fork), the child's request is trusted. A child
that blocked would be killed by its 20 s alarm and reported as such. Twins: the unrelated
origin is rejected in the same situation, and the precondition (the lock was held at the fork)
(held, and nothing parsed yet) is asserted, so a test that forked too early cannot pass.
"""

import os

import pytest

from tests.hardening import assert_quiet, probe


@pytest.mark.parametrize("mode", ["waiting", "locked"])
@pytest.mark.parametrize("origin, expected", [("intercept", "trusted"), ("unrelated", "rejected")])
def test_child_of_fork_works(run, core_venv, intercept, unrelated, tmp_path, mode, origin, expected):
    url = {"intercept": intercept, "unrelated": unrelated}[origin].url
    ca_path = str(tmp_path / "ca.pem")
    if mode == "locked":  # the CA is there; a thread holds the lock as while parsing it
        with open(intercept.ca_path, "rb") as src, open(ca_path, "wb") as dst:
            dst.write(src.read())
    env = dict(
        # Locked: export off, so start does not parse the CA already (the lock would not matter then).
        SANDBOX_TRUST_EXPORT_ENV="0" if mode == "locked" else None,
        SANDBOX_CA_CERT=ca_path,
        SANDBOX_INTERCEPT_HTTPS="1",
        SANDBOX_TRUST_TIMEOUT="30",
        PROBE_CA_SOURCE=intercept.ca_path,
    )
    result, process = probe(run, core_venv, "fork", mode, url, timeout=90, **env)
    assert result["held_at_fork"] is True, result
    assert result["child"] == expected, (result, process.stderr)
    assert_quiet(process, lines=0)
    assert os.path.exists(ca_path)
