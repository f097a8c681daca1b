"""A parent that makes no TLS context starts curl after a delay: ``late_ca_child.py PATH DELAY URL``.

Run with ``SANDBOX_INTERCEPT_HTTPS=1`` and a ``SANDBOX_CA_CERT`` that lands while it sleeps (or
after, to be waited for). PATH names the way Python starts the program (every one of
``START_PATHS``); the child is ``curl URL`` with the inherited environment. Prints one JSON line:
curl's outcome, and whether the start wrappers were still in place after the child started.
Stdlib only at module level: the multiprocessing children unpickle ``curl_exit`` from here.
"""

import json
import os
import sys
import time

CURL = "/usr/bin/curl"


def argv(url):
    return [CURL, "-sS", "-o", "/dev/null", "--max-time", "20", url]


def curl_exit(url):
    """Runs in a multiprocessing child on an interpreter without the package: what it inherited."""
    import subprocess

    sys.exit(subprocess.run(argv(url)).returncode)


def _fork_then(call):
    pid = os.fork()
    if pid == 0:
        try:
            call()
        finally:
            os._exit(127)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _multiprocessing(method, url):
    import multiprocessing

    context = multiprocessing.get_context(method)
    # The child runs the base interpreter, without sandbox-trust: only what the parent's
    # environment held when the child (or the forkserver) started can make its curl trust the CA.
    context.set_executable(sys._base_executable)
    process = context.Process(target=curl_exit, args=(url,))
    process.start()
    process.join()
    return process.exitcode


def _asyncio(url):
    import asyncio

    async def main():
        process = await asyncio.create_subprocess_exec(*argv(url))
        return await process.wait()

    return asyncio.run(main())


def _posix_spawn(function, url, path=CURL):
    pid = function(path, argv(url), os.environ)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _subprocess_posix_spawn(url):
    import subprocess

    # close_fds=False and an absolute executable: subprocess chooses os.posix_spawn (3.8+, glibc).
    assert subprocess._USE_POSIX_SPAWN
    return subprocess.run(argv(url), close_fds=False, stdout=subprocess.DEVNULL).returncode


def _os_popen(url):
    status = os.popen(" ".join(argv(url))).close()
    return 0 if status is None else os.waitstatus_to_exitcode(status)


def _pty(url):
    import pty

    return os.waitstatus_to_exitcode(pty.spawn(argv(url)))


START_PATHS = {
    "subprocess.run": lambda url: __import__("subprocess").run(argv(url)).returncode,
    "subprocess.posix_spawn": _subprocess_posix_spawn,
    "asyncio": _asyncio,
    "os.popen": _os_popen,
    "os.system": lambda url: os.waitstatus_to_exitcode(os.system(" ".join(argv(url)))),
    "os.posix_spawn": lambda url: _posix_spawn(os.posix_spawn, url),
    "os.posix_spawnp": lambda url: _posix_spawn(os.posix_spawnp, url, "curl"),
    "os.execv": lambda url: _fork_then(lambda: os.execv(CURL, argv(url))),
    "os.execve": lambda url: _fork_then(lambda: os.execve(CURL, argv(url), os.environ)),
    "os.execvp": lambda url: _fork_then(lambda: os.execvp("curl", argv(url))),
    "os.execl": lambda url: _fork_then(lambda: os.execl(CURL, *argv(url))),
    "os.spawnv": lambda url: os.spawnv(os.P_WAIT, CURL, argv(url)),
    "os.spawnvp": lambda url: os.spawnvp(os.P_WAIT, "curl", argv(url)),
    "pty.spawn": _pty,
    "multiprocessing-spawn": lambda url: _multiprocessing("spawn", url),
    "multiprocessing-forkserver": lambda url: _multiprocessing("forkserver", url),
}


def main():
    path, delay, url = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    time.sleep(delay)
    started = time.monotonic()
    code = START_PATHS[path](url)
    elapsed = time.monotonic() - started
    outcome = {0: "trusted", 60: "rejected"}.get(code, "curl exit %s" % code)
    wrapped = [name for name in ("execv", "system") if hasattr(getattr(os, name), "_sandbox_trust_child_start")]
    print(json.dumps({"outcome": outcome, "code": code, "wrapped_after": wrapped, "seconds": elapsed}))


if __name__ == "__main__":
    main()
