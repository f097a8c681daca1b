"""urllib and requests in-process, curl as a child: ``python clients_and_curl.py URL``.

Reports each outcome, ``certifi.where()`` and the exported CA variables as one JSON line.
"""

import json
import os
import subprocess
import sys
import urllib.request


def outcome(call):
    try:
        call()
    except Exception as exc:
        return "rejected" if "CERTIFICATE_VERIFY_FAILED" in repr(exc) else "error: %r" % exc
    return "trusted"


def curl(url):
    command = ["curl", "-sS", "-o", os.devnull, "--max-time", "20", url]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode == 60:  # curl: peer certificate cannot be authenticated with known CA certificates
        raise RuntimeError("CERTIFICATE_VERIFY_FAILED " + process.stderr)
    if process.returncode:
        raise RuntimeError(process.stderr)


def main():
    url = sys.argv[1]
    report = {"urllib": outcome(lambda: urllib.request.urlopen(url, timeout=20).read())}
    import certifi  # urllib went first, before certifi or requests was loaded
    import requests

    report["requests"] = outcome(lambda: requests.get(url, timeout=20).raise_for_status())
    report["curl"] = outcome(lambda: curl(url))
    report["certifi"] = certifi.where()
    suffixes = ("_CERT_FILE", "_BUNDLE", "CA_CERTS", "CAINFO")
    report["environ"] = {k: v for k, v in os.environ.items() if k.endswith(suffixes)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
