"""The start wrappers' own promises, in a process where they are installed (declared CA absent).

Idempotent, reversible, re-entrant, never in the way: a failing export still starts the child, and
an exception the app raises into the wait (a deadline) reaches it unchanged. One JSON line.
"""

import json
import os
import subprocess
import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _ca, _children


def wrapped(function):
    return bool(getattr(function, "_sandbox_trust_child_start", False))


def main():
    report = {"installed_at_start": wrapped(os.system) and wrapped(os.execv)}
    builtin_system = os.system.__wrapped__
    _children.install()  # twice: still one layer
    report["one_layer"] = os.system.__wrapped__ is builtin_system

    # Re-entry: a child started (by a handler) while this thread is inside the wait starts at once.
    real_certificates = _ca.certificates
    inner = []

    def reentrant(wait=True):
        inner.append(os.system("exit 4") >> 8)
        return None

    _ca.certificates = reentrant
    report["outer_exit"] = os.system("exit 3") >> 8
    report["inner_exit"] = inner

    # The app's own exception raised into the wait reaches it unchanged.
    class Deadline(BaseException):
        pass

    def deadline(wait=True):
        raise Deadline()

    _ca.certificates = deadline
    try:
        os.system("true")
        report["deadline"] = "swallowed"
    except Deadline:
        report["deadline"] = "raised"

    # A failing wait or export never stops the child: reported, and the child starts.
    def broken(wait=True):
        raise RuntimeError("broken on purpose")

    _ca.certificates = broken
    report["after_failure"] = subprocess.run([sys.executable, "-c", "raise SystemExit(5)"]).returncode
    _ca.certificates = real_certificates

    _children.uninstall()
    report["reverted"] = not wrapped(os.system) and os.system is builtin_system and not wrapped(os.execv)
    _children.uninstall()  # twice: harmless
    report["exported"] = boot._exported
    print(json.dumps(report))


if __name__ == "__main__":
    main()
