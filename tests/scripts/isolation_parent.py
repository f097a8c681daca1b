"""A parent Python that starts a child, for the inherited half of isolation (tests/test_isolation_children.py).

``python tests/scripts/isolation_parent.py [--replace-ca NEW] [--set NAME=VALUE]... -- ARGS...``: after this
interpreter's start (where sandbox-trust exported its variables), optionally overwrite the CA file
(``SANDBOX_CA_CERT``) with the content of ``NEW`` (a CA rotated since the parent exported), then run
``python ARGS...`` with ``os.environ`` plus the ``--set`` values, passing its output and exit code
through. ``python tests/scripts/isolation_parent.py report`` prints the CA variables and, when sandbox-trust runs
in this interpreter, what it recorded as exported.
"""

import json
import os
import subprocess
import sys

NAMES = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "NODE_EXTRA_CA_CERTS",
    "SANDBOX_TRUST_EXPORTED",
)


def report():
    boot = sys.modules.get("_sandbox_trust_boot")
    record = None if boot is None else {name: list(entry) for name, entry in boot.export_record.items()}
    print(json.dumps({"env": {name: os.environ.get(name) for name in NAMES}, "record": record}))


def spawn(argv):
    replace, extra = None, {}
    while argv[0] != "--":
        option, value = argv[0], argv[1]
        argv = argv[2:]
        if option == "--replace-ca":
            replace = value
        else:
            name, _, setting = value.partition("=")
            extra[name] = setting
    if replace:
        with open(replace, "rb") as source:
            data = source.read()
        with open(os.environ["SANDBOX_CA_CERT"], "wb") as target:
            target.write(data)
    process = subprocess.run([sys.executable, *argv[1:]], env={**os.environ, **extra}, timeout=120)
    sys.exit(process.returncode)


def main():
    report() if sys.argv[1:] == ["report"] else spawn(sys.argv[1:])


if __name__ == "__main__":
    main()
