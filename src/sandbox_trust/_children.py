"""Starting a child is a moment trust is needed: before it starts, wait for a declared CA and export.

Installed by start-up only when interception is declared, the CA has not landed and exports are
on (the one state where a child could start before anything exported the variables). Every way
Python starts a program ends in a few primitives, and one wrapper is put on each:

- ``os.execv`` / ``os.execve``: ``os.execl*``, ``os.execvp*`` (``_execvpe``), ``os.spawn*`` (in the
  forked child) and ``pty.spawn`` (``os.execlp``) look them up in ``os`` at each call;
- ``os.posix_spawn`` / ``os.posix_spawnp``: called directly, and by ``subprocess`` when it chooses
  posix_spawn (it passes the live ``os.environ``, read after the wrapper exported);
- ``os.system``;
- ``_posixsubprocess.fork_exec``: ``subprocess`` (hence ``asyncio``'s subprocesses and
  ``os.popen``) and ``multiprocessing``'s spawn and forkserver starts
  (``multiprocessing.util.spawnv_passfds``); ``subprocess`` 3.11+ binds it as ``_fork_exec``.

The wrapper asks ``_ca.certificates()``, which waits as a client context waits (bounded by
SANDBOX_TRUST_TIMEOUT, once per process) and exports the variables when the CA is there, then
starts the child whatever happened. Once the variables are exported the wrappers are removed, so
later starts cost nothing. A child given its own ``env=`` gets exactly that environment, as without
the package: only an inherited environment (``env=None``, ``os.environ``) carries the exports.
"""

import _thread
import os
import sys

import _sandbox_trust_boot as boot

# (module, attribute) of the primitives; _posixsubprocess is found in sys.modules, imported by us.
_OS_PRIMITIVES = ("execv", "execve", "posix_spawn", "posix_spawnp", "system")
_MARK = "_sandbox_trust_child_start"  # on each wrapper: recognised by every copy of this module

_wrapped = []  # (owner, name, original, wrapper) of each attribute replaced, for uninstall()
_inside = set()  # idents of threads inside a wrapper: a child started meanwhile starts at once


def _before_child(what):
    """Wait for the CA and export, once; never raises an Exception into the app."""
    if boot._exported:
        uninstall()
        return
    ident = _thread.get_ident()
    if ident in _inside:  # a signal handler or __del__ starting a child while this thread waits
        return
    _inside.add(ident)
    try:
        boot.debug("%s starts a child before the CA was exported: waiting for it, then exporting" % what)
        from sandbox_trust import _ca

        found = _ca.certificates()  # waits (bounded, once per process); exports when it finds the CA
        if found is not None:
            boot.export_environment(found)  # no-op once exported (by that call, or earlier)
        if boot._exported:
            boot.debug("exported the CA variables before %s" % what)
            uninstall()
    except Exception:
        boot.internal_error("exporting before a child starts")
    finally:
        _inside.discard(ident)


def _wrap(owner, name):
    original = getattr(owner, name, None)
    if original is None or getattr(original, _MARK, False):
        return  # absent on this platform, or wrapped already (idempotent)
    what = "%s.%s" % (getattr(owner, "__name__", "?"), name)

    def start_child(*args, **kwargs):
        _before_child(what)
        return original(*args, **kwargs)

    start_child.__name__ = start_child.__qualname__ = name
    start_child.__doc__ = original.__doc__
    start_child.__wrapped__ = original
    setattr(start_child, _MARK, True)
    setattr(owner, name, start_child)
    _wrapped.append((owner, name, original, start_child))


def install():
    """Put the wrapper on each primitive (idempotent); ``_posixsubprocess`` when it loads.

    Importing that extension module here would cost ~440k instructions at start (3.11): the
    import hook wraps it right after it loads instead (``patches/posixsubprocess_start.py``),
    unless the interpreter has it built in.
    """
    for name in _OS_PRIMITIVES:
        _wrap(os, name)
    # Loaded before us (an earlier .pth), or built into the interpreter (Debian's 3.14 and 3.15): the
    # hook never wraps a builtin's loader, a class shared by every builtin; importing one reads no file.
    if "_posixsubprocess" in sys.modules or "_posixsubprocess" in sys.builtin_module_names:
        wrap_fork_exec()
    else:
        boot.PATCH_TARGETS.setdefault("_posixsubprocess", "posixsubprocess_start")
    boot.debug("a child started before the declared CA is exported waits for it (start primitives wrapped)")


def wrap_fork_exec():
    """Wrap ``_posixsubprocess.fork_exec``, and ``subprocess._fork_exec`` if it bound it already."""
    if boot._exported:
        return
    import _posixsubprocess

    _wrap(_posixsubprocess, "fork_exec")
    subprocess = sys.modules.get("subprocess")
    wrapper = _posixsubprocess.fork_exec
    if subprocess is not None and getattr(subprocess, "_fork_exec", None) is getattr(wrapper, "__wrapped__", None):
        _rebind(subprocess, "_fork_exec", wrapper)  # subprocess 3.11+ binds it at its import


def _rebind(owner, name, wrapper):
    original = getattr(owner, name)
    setattr(owner, name, wrapper)
    _wrapped.append((owner, name, original, wrapper))


def uninstall():
    """Put every original back where the attribute is still our wrapper; later calls of a wrapper
    held elsewhere (``subprocess._fork_exec`` bound after install) only call the original."""
    while _wrapped:
        owner, name, original, wrapper = _wrapped.pop()
        if getattr(owner, name, None) is wrapper:
            setattr(owner, name, original)
    subprocess = sys.modules.get("subprocess")
    fork_exec = getattr(subprocess, "_fork_exec", None)
    if getattr(fork_exec, _MARK, False):  # bound by `import subprocess` while we were installed
        subprocess._fork_exec = fork_exec.__wrapped__


def is_installed():
    return bool(_wrapped)
