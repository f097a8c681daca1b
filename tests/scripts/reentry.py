"""The app's own code running inside a wait of sandbox-trust, on the same thread: ``reentry.py VARIANT URL``.

The main thread makes a request to URL (urllib: a client context that loads the default roots, so
it waits for a declared CA). While it waits, code of the app runs on that thread, as VARIANT says:

- ``alarm-context``: a SIGALRM handler makes its own request (a context inside the wait).
- ``alarm-raise``: a SIGALRM handler raises TimeoutError (an app's deadline).
- ``alarm-raise-lock``: the same while the main thread waits for another thread's wait (the lock).
- ``interrupt``: SIGINT: KeyboardInterrupt.
- ``del``: a ``__del__`` run by the garbage collector makes its own request.
- ``stderr``: a ``sys.stderr`` whose ``write`` makes its own request (the package's warning).

``PROBE_CA_SOURCE`` and ``PROBE_LAND_AFTER``: the CA is copied to ``SANDBOX_CA_CERT`` that many
seconds after start (never without them). Prints one JSON line: ``outer`` (the main request's
outcome, or ``raised <type>``), ``same`` (the exception caught is the very one raised), ``late``
(seconds from the raise to the catch), ``inner`` (the nested request's outcome) and
``inner_seconds``. A hang is cut by faulthandler after 40 s (exit status 1, tracebacks on stderr).
"""

import faulthandler
import gc
import json
import os
import shutil
import signal
import ssl
import sys
import threading
import time
import urllib.request

faulthandler.dump_traceback_later(40, exit=True)
VARIANT, URL = sys.argv[1:3]
result = {"outer": None, "inner": None}
raised = []  # (exception, moment) raised into the wait by the app's code


def outcome(call):
    try:
        call()
    except ssl.SSLCertVerificationError:
        return "rejected"
    except Exception as exc:  # noqa: BLE001 - every failure is classified
        if "CERTIFICATE_VERIFY_FAILED" in repr(exc):
            return "rejected"
        return "error: %r" % exc
    return "trusted"


def _raise(exc):
    raise exc


def request():
    urllib.request.urlopen(URL, timeout=10).read()


def inner_request():
    """The nested request; once per run."""
    if result["inner"] is not None:
        return
    result["inner"] = "started"
    start = time.monotonic()
    result["inner"] = outcome(request)
    result["inner_seconds"] = round(time.monotonic() - start, 3)


def land_later():
    source, after = os.environ.get("PROBE_CA_SOURCE"), os.environ.get("PROBE_LAND_AFTER")
    if not source:
        return
    target = os.environ["SANDBOX_CA_CERT"]

    def land():
        time.sleep(float(after))
        shutil.copy(source, target + ".tmp")
        os.rename(target + ".tmp", target)  # lands whole, as the runtime's copy does

    threading.Thread(target=land, daemon=True).start()


def raise_timeout(signum, frame):
    exc = TimeoutError("the app's deadline")
    raised.append((exc, time.monotonic()))
    raise exc


class Collected:
    """Garbage in a reference cycle; its ``__del__`` requests once the main request is waiting."""

    armed_at = None

    def __init__(self):
        self.cycle = self

    def __del__(self):
        if time.monotonic() < Collected.armed_at:
            Collected()  # too early (before the wait): the next collection tries again
            return
        inner_request()


class RequestingStderr:
    """A ``sys.stderr`` whose ``write`` makes a request (a logging handler that ships lines)."""

    def __init__(self, real):
        self.real = real

    def write(self, text):
        if text.startswith("sandbox-trust"):
            inner_request()
        return self.real.write(text)

    def flush(self):
        self.real.flush()


def main():
    land_later()
    if VARIANT == "alarm-context":
        signal.signal(signal.SIGALRM, lambda signum, frame: inner_request())
        signal.setitimer(signal.ITIMER_REAL, 0.3)
    elif VARIANT == "alarm-raise":
        signal.signal(signal.SIGALRM, raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
    elif VARIANT == "alarm-raise-lock":
        threading.Thread(target=lambda: outcome(request), daemon=True).start()
        time.sleep(0.1)  # that thread waits for the CA now; this one will wait for it
        signal.signal(signal.SIGALRM, raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
    elif VARIANT == "interrupt":

        def interrupt():
            time.sleep(0.3)
            raised.append((None, time.monotonic()))
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
    elif VARIANT == "del":
        Collected.armed_at = time.monotonic() + 0.3
        Collected()
        gc.set_threshold(1)
    elif VARIANT == "stderr":
        sys.stderr = RequestingStderr(sys.stderr)
    else:
        raise SystemExit("unknown variant %r" % VARIANT)
    try:
        request()
        result["outer"] = "trusted"
    except BaseException as exc:  # noqa: BLE001 - what reached the app is the result
        caught = time.monotonic()
        if raised:
            first, moment = raised[0]
            result["outer"] = "raised %s" % type(exc).__name__
            result["same"] = exc is first if first is not None else type(exc) is KeyboardInterrupt
            result["late"] = round(caught - moment, 3)
        else:
            result["outer"] = outcome(lambda error=exc: _raise(error))
    gc.set_threshold(700)
    if VARIANT.startswith("alarm") and not raised and result["inner"] is None:
        time.sleep(0.5)  # without a wait (opted out) the alarm comes after the request
    result["stderr_type"] = type(sys.stderr).__name__
    sys.stderr = sys.__stderr__
    print(json.dumps(result))


main()
