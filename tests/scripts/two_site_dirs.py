"""sandbox_trust.pth in two site directories patches once: ``python two_site_dirs.py URL``.

Each site directory also holds a marker .pth that appends its ``sitedir`` to ``sys.st_test_sitedirs``.
"""

import _ssl
import sys

import certifi
import certifi.core
import checks

from sandbox_trust.patches import certifi_bundle, ssl_context


def main():
    url = sys.argv[1]
    report = checks.Report()
    report["sitedirs"] = sys.st_test_sitedirs
    report["finders"] = sum(bool(getattr(f, "is_sandbox_trust_finder", False)) for f in sys.meta_path)
    report["ssl_applied"] = ssl_context.PATCH.is_applied()
    unpatched = ssl_context._original
    replacements = {name: new for _owner, name, new in ssl_context.PATCH.replacements}
    report["ssl_self_wrapped"] = [n for n, f in unpatched.items() if f is replacements[n]]
    report["ssl_wraps_c"] = unpatched["set_default_verify_paths"] is _ssl._SSLContext.set_default_verify_paths
    report["certifi_original"] = certifi_bundle._original["where"].__module__
    report["certifi_patched"] = certifi.where is certifi.core.where is certifi_bundle.where
    names = ("urllib_request", "http_client", "create_default_context", "bare_sslcontext")
    report["outcomes"] = {name: checks.probe_outcome(name, url) for name in names}
    report.emit()


if __name__ == "__main__":
    main()
