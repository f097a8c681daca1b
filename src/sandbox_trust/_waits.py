"""Our locks and sleeps, safe for the app's code that runs inside them on the same thread.

While a thread waits for a declared CA (or finds the CA, or builds a hashed directory), the app's
code can run on that very thread: a signal handler, a ``__del__``, the ``sys.stderr`` a warning
is written to. Two promises hold for it (docs/design.md, "Waiting for a declared CA"):

- Re-entry returns at once. A ``Section`` entered again by the thread already inside says so
  (``__enter__`` returns False) instead of blocking on its own lock; the caller answers with what
  is known so far (no CA yet: that one context gets none, as without the package).
- An exception raised into a wait is the app's (a deadline's ``TimeoutError`` from a SIGALRM
  handler, ``KeyboardInterrupt``): it propagates unchanged, and is recorded in
  ``boot.passing`` so that the handlers containing our own errors (``boot.internal_error``)
  re-raise it instead of reporting it; one a signal handler raises while our code runs between
  two waits is recognised by the handler's frame in its traceback (``raised_by_app``).

``_thread``, not ``threading``: ``import ssl`` must stay cheap.
"""

import _thread
import os
import time

import _sandbox_trust_boot as boot


def _waiting(call, *args):
    """``call(*args)``, a moment the thread is idle in our code: what is raised into it passes."""
    try:
        return call(*args)
    except BaseException as exc:
        boot.passing = exc
        raise


def raised_by_app(exc):
    """True when a Python signal handler raised ``exc``: the app's, whichever of our lines it
    interrupted (between two sleeps as well as inside one). Its frame is in the traceback."""
    import signal

    codes = set()
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
        except (ValueError, OSError):
            continue
        code = getattr(getattr(handler, "__func__", handler), "__code__", None)
        if code is not None:
            codes.add(code)
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code in codes:
            return True
        traceback = traceback.tb_next
    return False


def sleep(seconds):
    _waiting(time.sleep, seconds)


class Section:
    """A lock for a job done once per process; ``with section as first:`` (False: re-entered).

    Another thread waits for the one inside (bounded: the job is); the thread inside, re-entering,
    does not. After ``os.fork`` a child gets a fresh lock unless the forking thread was the one
    inside (a signal handler that forked): the thread that held it does not exist there.
    """

    def __init__(self):
        self._lock = _thread.RLock()
        self._owner = None  # the thread inside, while one is
        self._depth = 0
        os.register_at_fork(after_in_child=self._after_fork_in_child)

    def __enter__(self):
        _waiting(self._lock.acquire)
        self._depth += 1
        if self._depth == 1:
            self._owner = _thread.get_ident()
        return self._depth == 1

    def __exit__(self, *exc_info):
        self._depth -= 1
        if not self._depth:
            self._owner = None
        self._lock.release()

    def busy(self):
        """True while a thread is inside (for tests and the fork probe)."""
        return self._owner is not None

    def _after_fork_in_child(self):
        if self._owner != _thread.get_ident():
            self._lock = _thread.RLock()
            self._owner = None
            self._depth = 0


def report(exc, where):
    """Say ``exc``, an error of sandbox-trust's in ``where``, in the one stderr line (the traceback
    too in debug); True instead, saying nothing, when the app's signal handler raised it
    (``raised_by_app``): ``boot.internal_error`` re-raises it then."""
    if raised_by_app(exc):
        return True
    boot.warn("internal error in %s: %s: %s (SANDBOX_TRUST_DEBUG=1 shows more)" % (where, type(exc).__name__, exc))
    if boot.settings.debug:
        import sys
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return False
