"""The strict clients of Python 3.13+ against one origin, in one process: ``python strict_clients.py URL``.

urllib, requests, httpx and aiohttp with their defaults, each classified as tests/probes.py does;
also what ``create_default_context()`` is set to (flags, mode, hostname check), which the package
must leave as they are. One JSON line.
"""

import ssl
import sys

from checks import Report, aiohttp_get

CLIENTS = ("urllib_request", "requests", "httpx")


def main():
    url = sys.argv[1]
    report = Report()
    for client in CLIENTS:
        report.probe(client, url)
    report.check("aiohttp", aiohttp_get(url))
    context = ssl.create_default_context()
    report["context"] = {
        "verify_flags": int(context.verify_flags),
        "verify_mode": int(context.verify_mode),
        "check_hostname": context.check_hostname,
    }
    report.emit()


if __name__ == "__main__":
    main()
