"""Threads that import ssl and make their first contexts at once, while a declared CA lands.

Free-threaded builds (3.14t) run them in parallel, every build interleaves them: the import hook
patches each target once, the CA is parsed once, every connection gets the same trust
(docs/design.md, "Free-threaded CPython 3.14").
"""

import os
import re

THREADS = 16
# The patch targets every stampede imports: ssl, certifi (requests), requests.sessions.
PATCHES = {"ssl_context", "certifi_bundle", "requests_session"}


def _stampede(run, venv, url, ca_source, tmp_path, **env):
    target = tmp_path / ("ca-%d.pem" % len(os.listdir(tmp_path)))  # absent when the process starts
    env = dict(env, SANDBOX_INTERCEPT_HTTPS="1", SANDBOX_CA_CERT=str(target))
    return run.script(venv, "thread_stampede", url, ca_source, str(target), timeout=120, **env)


def test_threads_import_ssl_and_race_for_the_first_context(run, core_venv, trio, intercept, tmp_path):
    opted_out = {"SANDBOX_TRUST_DISABLE": "1"} if trio.name == "opted-out" else {}
    report, process = _stampede(run, core_venv, trio.url, intercept.ca_path, tmp_path, **opted_out)
    assert not report["ssl_preloaded"], report  # else the threads would not race through the hook
    assert report["outcomes"] == [trio.expected] * THREADS, (report, process.stderr)
    if opted_out:
        assert report["parses"] == 0 and report["patches"] == {}, report
        assert not report["exported_ssl_cert_file"], report
    else:
        assert report["parses"] == 1, report  # they waited together; one of them parsed, once
        assert PATCHES <= set(report["patches"]), report
        assert all(report["patches"].values()), report  # applied, over the real originals
        assert report["exported_ssl_cert_file"], report  # the late CA was exported for children
    if trio.expected == "trusted":
        assert process.stderr == ""
    print("%s: GIL enabled: %s" % (trio.name, report["gil_enabled"]))


def test_each_patch_is_applied_once(run, core_venv, intercept, tmp_path):
    report, process = _stampede(
        run, core_venv, intercept.url, intercept.ca_path, tmp_path, SANDBOX_TRUST_DEBUG="1"
    )
    assert report["outcomes"] == ["trusted"] * THREADS, (report, process.stderr)
    applied = re.findall(r"^sandbox-trust: debug: patched (.+)$", process.stderr, re.M)
    assert len(applied) == len(set(applied)) >= len(PATCHES), process.stderr
    assert "internal error" not in process.stderr, process.stderr
