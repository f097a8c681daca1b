"""A bundle changes while a process runs: ``python fresh_trust.py MODE HOW BUNDLE NEW_FILE URL...``.

One client context (built as MODE says) tries each URL; then BUNDLE is changed to hold what
NEW_FILE holds (as HOW says); then a *new* context tries them again. Prints one JSON line:
``{"before": {url: outcome}, "after": {url: outcome}}``. Stock Python reads the bundle again for
every new context, so "after" follows the new content; with sandbox-trust it must too, plus the CA.

MODE: ``where each time`` (``create_default_context(cafile=certifi.where())`` per context, as
httpx does), ``where bound`` (``certifi.where()`` taken once at start, as requests does),
``requests`` (a new requests session), ``default paths`` (``create_default_context()``: OpenSSL's
default file, SSL_CERT_FILE here), ``urllib`` (a new opener without a context: ``urlopen``'s
own opener keeps one context from 3.13 on).
HOW: ``os.replace`` (a new file renamed over it, as update-ca-certificates does), ``in place``
(rewritten through the same inode, size and mtime kept), ``symlink retarget`` (BUNDLE is a
symlink; a new link to NEW_FILE's copy renamed over it).
"""

import json
import os
import ssl
import sys
import urllib.error
import urllib.request

BOUND = {}


def _context(mode):
    if mode == "where each time":
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    if mode == "where bound":
        return ssl.create_default_context(cafile=BOUND["where"])
    if mode == "default paths":
        return ssl.create_default_context()
    raise AssertionError(mode)


def _outcome(mode, url):
    try:
        if mode == "requests":
            import requests

            with requests.Session() as session:
                session.get(url, timeout=10).raise_for_status()
        elif mode == "urllib":  # a new opener: from 3.13 an opener's HTTPS handler keeps one context
            urllib.request.build_opener().open(url, timeout=10).read()
        else:
            urllib.request.urlopen(url, timeout=10, context=_context(mode)).read()
    except Exception as exc:  # noqa: BLE001 - the outcome is what is reported
        text = "%s %r" % (exc, getattr(exc, "reason", ""))
        return "rejected" if "CERTIFICATE_VERIFY_FAILED" in text else "error: %s" % text[:200]
    return "trusted"


def _change(how, bundle, new_file):
    with open(new_file, "rb") as f:
        data = f.read()
    if how == "os.replace":
        staged = bundle + ".new"
        with open(staged, "wb") as f:
            f.write(data)
        os.replace(staged, bundle)
    elif how == "in place":
        before = os.stat(bundle)
        assert before.st_size == len(data), "the test's two bundles must have one size"
        with open(bundle, "r+b") as f:
            f.write(data)
        os.utime(bundle, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(bundle)
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    elif how == "symlink retarget":
        target = os.readlink(bundle) + ".next"
        with open(target, "wb") as f:
            f.write(data)
        link = bundle + ".link"
        os.symlink(target, link)
        os.replace(link, bundle)
    else:
        raise AssertionError(how)


def main():
    mode, how, bundle, new_file, *urls = sys.argv[1:]
    if mode == "where bound":
        import certifi

        BOUND["where"] = certifi.where()
    before = {url: _outcome(mode, url) for url in urls}
    _change(how, bundle, new_file)
    after = {url: _outcome(mode, url) for url in urls}
    print(json.dumps({"before": before, "after": after}))


if __name__ == "__main__":
    main()
