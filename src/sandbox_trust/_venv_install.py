"""``sandbox-trust install --venv DIR``: the same files pip installs, copied into DIR.

For a venv that cannot reach a package index (or should not): the package, the start-up modules (the
gate and the boot module) and the two startup files (``sandbox_trust.pth``; ``sandbox_trust.start``, which
Python 3.15 runs instead) are copied from this installation into DIR's site-packages, with a minimal
``.dist-info`` (METADATA, INSTALLER, RECORD) so that ``pip list`` shows it and ``pip uninstall
sandbox-trust`` removes it there. certifi is not copied: the boot finds the system roots first and
certifi is patched only if that venv imports its own.

Nothing of the target is executed (docs/design.md, "``install --venv``"): run as root on a venv
another user controls, its interpreter or a ``.pth`` in its site-packages would run as root. Its
Python version comes from ``pyvenv.cfg`` and its site-packages is ``lib/pythonX.Y/site-packages``,
used only when every directory from ``/`` down to it passes the private cache's rule (``_cache.walk``:
OpenSSH's StrictModes, root's or the caller's and not writable by others); otherwise the command
refuses, in one line, before it writes or removes anything.
"""

import base64
import hashlib
import os
import shlex
import shutil
import sys

import _sandbox_trust_boot as boot
from sandbox_trust import __version__, _cache

DIST_INFO = "sandbox_trust-%s.dist-info" % __version__
INSTALLER = "sandbox-trust"


class InstallError(Exception):
    """Why the venv cannot be set up; ``str()`` is one sentence."""


# The top-level files of an installation beside the package: the modules are copied first and removed
# last, the startup files (each names the gate: either alone starts sandbox-trust) the other way round.
MODULES = ("_sandbox_trust_boot.py", "_sandbox_trust_gate.py")
STARTUP_FILES = ("sandbox_trust.pth", "sandbox_trust.start")
TOP_LEVEL = MODULES + STARTUP_FILES


def sources():
    """``(package directory, directory of the top-level files)`` of this installation (a wheel or the
    source tree); every file of ``TOP_LEVEL`` is there."""
    package = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(os.path.abspath(boot.__file__))
    for path in [package] + [os.path.join(top, name) for name in TOP_LEVEL]:
        if not os.path.exists(path):
            raise InstallError("this sandbox-trust installation is incomplete: %s is missing" % path)
    return package, top


def _python_version(venv):
    """``(major, minor)`` of the venv's Python, from its ``pyvenv.cfg`` (venv, virtualenv and uv write it)."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8", errors="replace") as f:
            lines = f.read(65536).splitlines()
    except OSError as exc:
        raise InstallError(
            "%s is not a virtual environment: no readable pyvenv.cfg (%s)" % (venv, exc.strerror)
        ) from None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            parts = value.strip().split(".")
            if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                return int(parts[0]), int(parts[1])
    raise InstallError("%s/pyvenv.cfg names no Python version" % venv)


def site_packages(venv):
    """``(its python, its site-packages, has pip)``, read from the files, never run: see above."""
    python = os.path.join(venv, "bin", "python")
    if not os.path.lexists(python):
        raise InstallError("%s is not a virtual environment: %s does not exist" % (venv, python))
    version = _python_version(venv)
    if version < (3, 10):
        raise InstallError("%s is Python %d.%d; sandbox-trust needs 3.10 or later" % (venv, *version))
    site = os.path.join(venv, "lib", "python%d.%d" % version, "site-packages")
    fd, state, why = _cache.walk(site)
    if state != _cache.USABLE:
        raise InstallError("refusing %s: %s" % (site, why or "it does not exist"))
    os.close(fd)
    return python, site, os.path.isdir(os.path.join(site, "pip"))


def _record_line(site, path):
    with open(path, "rb") as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (os.path.relpath(path, site), digest, len(data))


def _temporary(site, name):
    return os.path.join(site, ".%s.sandbox-trust-%d-%s" % (name, os.getpid(), os.urandom(4).hex()))


def _copy_file(source, site, name):
    """Copy atomically: a starting interpreter never reads a half-written .pth or module."""
    temporary = _temporary(site, name)
    shutil.copyfile(source, temporary)
    os.replace(temporary, os.path.join(site, name))


def _replace_tree(source, site, name):
    temporary = _temporary(site, name)
    shutil.copytree(source, temporary, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    target = os.path.join(site, name)
    if os.path.lexists(target):
        old = _temporary(site, name + "-old")
        os.rename(target, old)
        os.rename(temporary, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(temporary, target)


def _previous_records(site):
    """Remove earlier sandbox-trust dist-infos; keep their RECORD lines for files we do not write
    (a console script pip installed), so ``pip uninstall`` still removes those too."""
    ours = ("sandbox_trust/", "sandbox_trust-") + TOP_LEVEL
    kept = []
    for entry in os.listdir(site):
        if not (entry.startswith("sandbox_trust-") and entry.endswith(".dist-info")):
            continue
        record = os.path.join(site, entry, "RECORD")
        try:
            with open(record, encoding="utf-8") as f:
                kept.extend(line.rstrip("\n") for line in f if line.strip() and not line.startswith(ours))
        except OSError:
            pass
        shutil.rmtree(os.path.join(site, entry))
    return kept


def install(venv):
    """Copy sandbox-trust into ``venv``; returns its site-packages and an uninstall command.

    Running it again refreshes the copy."""
    package, top = sources()
    python, site, has_pip = site_packages(os.path.abspath(venv))
    if os.path.samefile(site, top):
        return site, uninstall_hint(python, site, has_pip)  # that is this interpreter's own installation
    kept = _previous_records(site)
    _replace_tree(package, site, "sandbox_trust")
    for name in MODULES:
        _copy_file(os.path.join(top, name), site, name)
    dist_info = os.path.join(site, DIST_INFO)
    os.mkdir(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(
            "Metadata-Version: 2.1\nName: sandbox-trust\nVersion: %s\n"
            "Summary: Make every Python process trust a sandbox's HTTPS-interception CA.\n" % __version__
        )
    with open(os.path.join(dist_info, "INSTALLER"), "w", encoding="utf-8") as f:
        f.write(INSTALLER + "\n")
    for name in STARTUP_FILES:  # last of the runtime files: they switch them on
        _copy_file(os.path.join(top, name), site, name)
    files = [os.path.join(site, name) for name in TOP_LEVEL]
    for directory, subdirectories, names in os.walk(os.path.join(site, "sandbox_trust")):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        files.extend(os.path.join(directory, name) for name in sorted(names) if not name.endswith(".pyc"))
    files.extend(os.path.join(dist_info, name) for name in ("METADATA", "INSTALLER"))
    lines = [_record_line(site, path) for path in files] + kept
    lines.append("%s/RECORD,," % DIST_INFO)
    with open(os.path.join(dist_info, "RECORD"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return site, uninstall_hint(python, site, has_pip)


def uninstall_hint(python, site, has_pip):
    """A command that removes the copy: the venv's pip, else (a uv venv, --without-pip) rm."""
    if has_pip:
        return "%s -m pip uninstall sandbox-trust" % shlex.quote(python)
    names = STARTUP_FILES + MODULES + ("sandbox_trust", DIST_INFO)
    return "rm -rf " + " ".join(shlex.quote(os.path.join(site, name)) for name in names)


def main(venv):
    try:
        site, hint = install(venv)
    except (InstallError, OSError) as exc:
        sys.stderr.write("sandbox-trust: install failed: %s\n" % exc)
        return 1
    print("sandbox-trust %s installed in %s (uninstall: %s)" % (__version__, site, hint))
    return 0


def uninstall(venv):
    """Remove the copy ``install`` made in ``venv``; returns its site-packages, or None if none.

    Only a copy whose dist-info names this installer: one that pip installed is pip's to remove.
    The startup files go first, so an interpreter starting meanwhile never imports a half-removed copy.
    """
    _python, site, _has_pip = site_packages(os.path.abspath(venv))
    ours = []
    for entry in os.listdir(site):
        if entry.startswith("sandbox_trust-") and entry.endswith(".dist-info"):
            try:
                with open(os.path.join(site, entry, "INSTALLER"), encoding="utf-8") as f:
                    installer = f.read().strip()
            except OSError:
                installer = None
            if installer != INSTALLER:
                raise InstallError(
                    "the sandbox-trust in %s was installed by %s, not by install --venv: "
                    "remove it with that venv's pip" % (site, installer or "an unknown installer")
                )
            ours.append(entry)
    if not ours:
        return None
    for name in STARTUP_FILES + MODULES:
        try:
            os.unlink(os.path.join(site, name))
        except FileNotFoundError:
            pass
    cache = os.path.join(site, "__pycache__")  # the modules' bytecode, written by their first import
    for name in os.listdir(cache) if os.path.isdir(cache) else ():
        if name.startswith(("_sandbox_trust_boot.", "_sandbox_trust_gate.")):
            os.unlink(os.path.join(cache, name))
    shutil.rmtree(os.path.join(site, "sandbox_trust"), ignore_errors=True)
    venv_root = os.path.realpath(venv) + os.sep
    for entry in ours:
        # RECORD also lists what install kept of a copy pip had installed (the console script):
        # removed as pip would, but never a path outside the venv, whatever the RECORD says.
        try:
            with open(os.path.join(site, entry, "RECORD"), encoding="utf-8") as f:
                listed = [line.split(",", 1)[0] for line in f if line.strip()]
        except OSError:
            listed = []
        for relative in listed:
            path = os.path.join(site, relative)
            parent = os.path.realpath(os.path.dirname(path))  # no symlinked directory leads out
            path = os.path.join(parent, os.path.basename(path))
            if (parent + os.sep).startswith(venv_root) and os.path.lexists(path) and not os.path.isdir(path):
                os.unlink(path)
        shutil.rmtree(os.path.join(site, entry))
    return site


def main_uninstall(venv):
    try:
        site = uninstall(venv)
    except (InstallError, OSError) as exc:
        sys.stderr.write("sandbox-trust: uninstall failed: %s\n" % exc)
        return 1
    if site is None:
        print("sandbox-trust: no copy of install --venv in %s: nothing to remove" % venv)
    else:
        print("sandbox-trust: removed from %s" % site)
    return 0
