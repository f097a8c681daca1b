"""In-process trust follows a user's rewritten SSL_CERT_FILE as stock Python does.

``python follow_cert_file.py USER_FILE NEW_CONTENT URL...``, run with ``SSL_CERT_FILE=USER_FILE`` (in
this process it names the merged bundle exported for children, hence the argument): each URL is fetched with a fresh ``ssl.create_default_context()`` (urllib), then the file is
replaced (``os.replace``, as ``update-ca-certificates`` does) by NEW_CONTENT's bytes, and each URL
is fetched again with a fresh context. Prints one JSON line: ``{"before": [...], "after": [...]}``.
"""

import json
import os
import sys
import urllib.request

import checks


def fetch(url):
    urllib.request.urlopen(url, timeout=10, context=__import__("ssl").create_default_context()).read()


def main():
    target, new_content, urls = sys.argv[1], sys.argv[2], sys.argv[3:]
    before = [checks.outcome(lambda url=url: fetch(url)) for url in urls]
    with open(new_content, "rb") as f:
        data = f.read()
    with open(target + ".new", "wb") as f:
        f.write(data)
    os.replace(target + ".new", target)
    after = [checks.outcome(lambda url=url: fetch(url)) for url in urls]
    print(json.dumps({"before": before, "after": after}))


if __name__ == "__main__":
    main()
