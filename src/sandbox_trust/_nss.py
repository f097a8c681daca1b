"""``install --nss`` / ``uninstall --nss``: the CA in a user's NSS database, for Chromium and Chrome.

Chromium, Chrome and the browsers Playwright and Selenium drive on Linux read no CA variable: they
trust the roots built into NSS plus what the user's shared NSS database holds, ``$HOME/.pki/nssdb``
(SQLite format, ``sql:``). ``certutil`` (Debian's libnss3-tools) is NSS's own tool for it; the
database is private to its user, so no root is needed and nothing of the system changes.

Each CA certificate goes in under a nickname of ours that names its SHA-256 fingerprint, with
trust ``C,,`` (a CA for TLS servers; not for e-mail or code signing). Only those nicknames are ever
changed or removed: a certificate the user added under a nickname of their own is left as it is
(``certutil -A`` of the same certificate would rewrite that entry's trust, so it is looked for first).
"""

import hashlib
import os
import shlex
import shutil
import subprocess
import sys

from sandbox_trust._cafile import CAFileError, parse_pem

PREFIX = "sandbox-trust sha256 "  # every nickname of ours starts so (no ":": certutil reads "token:name")
TRUST = "C,,"  # trusted to issue TLS server certificates only
MISSING_CERTUTIL = "certutil not found: install Debian's libnss3-tools (apt-get install libnss3-tools)"
TIMEOUT = 60  # seconds for one certutil run: a database on a hung mount must not hang us


class NSSError(Exception):
    """Why the NSS database cannot be changed or read; ``str()`` is one sentence."""


def default_nssdb():
    """``$HOME/.pki/nssdb``: where Chromium and Chrome look (no variable moves it)."""
    return os.path.join(os.environ.get("HOME") or os.path.expanduser("~"), ".pki", "nssdb")


def nickname(der):
    return PREFIX + hashlib.sha256(der).hexdigest()


def _certutil(directory, *args, stdin=None, check=True):
    """Run certutil on the database in ``directory``: its stdout (bytes), or NSSError."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise NSSError(MISSING_CERTUTIL)
    try:
        process = subprocess.run(
            [certutil, "-d", "sql:" + directory, *args],
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NSSError("cannot run certutil: %s" % exc) from None
    if check and process.returncode != 0:
        lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NSSError("certutil %s failed on %s: %s" % (args[0], directory, lines[-1] if lines else "?"))
    return process.stdout


def _private_directory(directory, create):
    """Refuse a database that another user could change, or that a symlink redirects (NSSError).

    The private cache's rule (``_cache.walk``: every directory from ``/`` owned by root or this
    user and not writable by others, the last one this user's and not a symlink): a certificate
    added to a database someone else controls is trust they can edit, and as root a write there
    would leave root-owned files in a user's database. With ``create``, a missing ``.pki/nssdb``
    is made 0700 (never the home directory above it).
    """
    from sandbox_trust import _cache

    fd, state, why = _cache.walk(directory, create)
    if fd is not None:
        os.close(fd)
    if state != _cache.USABLE:
        raise NSSError("refusing NSS database directory %s: %s" % (directory, why or "it does not exist"))


def _entries(directory):
    """``{nickname: trust}`` of the database (``certutil -L``'s table)."""
    text = _certutil(directory, "-L").decode("utf-8", "replace")
    entries = {}
    for line in text.splitlines()[3:]:  # a blank line and two header lines first
        name, _, trust = line.rstrip().rpartition(" ")
        if name.strip():
            entries[name.strip()] = trust
    return entries


def _certificates_of(directory, name):
    """The DER certificates held under ``name`` (NSS may keep several under one nickname)."""
    output = _certutil(directory, "-L", "-n", name, "-a", check=False)
    try:
        return list(parse_pem(output, source="certutil's output").der)
    except CAFileError:
        return []  # no such nickname


def _has_database(directory):
    return os.path.exists(os.path.join(directory, "cert9.db"))


def install(directory, certificates):
    """Put each DER certificate of ``certificates`` in the database; remove ours that are not.

    Returns ``(added, kept, foreign, removed)``: nicknames added, already there, certificates held
    under a nickname of the user's (``(nickname of ours, theirs)``, left alone), stale ones removed.
    """
    if shutil.which("certutil") is None:  # before anything is made
        raise NSSError(MISSING_CERTUTIL)
    _private_directory(directory, create=True)
    if not _has_database(directory):
        _certutil(directory, "-N", "--empty-password")
    entries = _entries(directory)
    theirs = {}
    for name in entries:
        if not name.startswith(PREFIX):
            for der in _certificates_of(directory, name):
                theirs.setdefault(der, name)
    wanted = {nickname(der): der for der in certificates}
    added, kept, foreign = [], [], []
    for name, der in wanted.items():
        if der in theirs:
            foreign.append((name, theirs[der]))
        elif name in entries and _certificates_of(directory, name) == [der]:
            kept.append(name)
        else:
            if name in entries:  # our nickname on something else: replaced, not trusted as is
                _certutil(directory, "-D", "-n", name)
            _certutil(directory, "-A", "-n", name, "-t", TRUST, stdin=der)
            added.append(name)
    removed = [name for name in entries if name.startswith(PREFIX) and name not in wanted]
    for name in removed:  # a rotated CA: its old certificate must not stay trusted
        _delete(directory, name)
    missing = [name for name in added if _certificates_of(directory, name) != [wanted[name]]]
    if missing:
        raise NSSError("certutil did not add %s to %s" % (", ".join(missing), directory))
    return added, kept, foreign, removed


def _delete(directory, name):
    for _ in range(16):  # one certificate per run; a nickname may hold several
        if not _certificates_of(directory, name):
            return
        _certutil(directory, "-D", "-n", name)
    raise NSSError("cannot remove %s from %s" % (name, directory))


def uninstall(directory):
    """Remove every nickname of ours; returns them. No database (or no directory): nothing to do.

    The database itself stays: it is the user's (Chromium creates and uses it too), and other
    certificates may be in it by now.
    """
    if not os.path.lexists(directory):
        return []
    _private_directory(directory, create=False)
    if not _has_database(directory):
        return []
    removed = [name for name in _entries(directory) if name.startswith(PREFIX)]
    for name in removed:
        _delete(directory, name)
    return removed


def report(directory, certificates):
    """For ``status``: what the database holds of ours, against the current CA's certificates.

    ``{"nssdb", "checked", "why", "installed", "current", "missing", "stale"}``: ``checked`` is
    False (with ``why``) when there is no database or no certutil; ``installed`` lists our
    nicknames there, ``current`` says every certificate of the CA is there, ``stale`` lists ours
    that are not the CA's (it rotated). Read-only: nothing is created, nothing changed.
    """
    result = {
        "nssdb": directory,
        "checked": False,
        "why": None,
        "installed": [],
        "current": False,
        "missing": [],
        "stale": [],
    }
    if not _has_database(directory):
        result["why"] = "no NSS database"
        return result
    if shutil.which("certutil") is None:
        result["why"] = MISSING_CERTUTIL
        return result
    try:
        ours = [name for name in _entries(directory) if name.startswith(PREFIX)]
    except NSSError as exc:
        result["why"] = str(exc)
        return result
    result["checked"] = True
    result["installed"] = sorted(ours)
    if not ours:
        return result  # never installed there: not a problem, nothing to compare
    wanted = {nickname(der): der for der in certificates}
    result["stale"] = sorted(name for name in ours if name not in wanted)
    result["missing"] = sorted(
        name for name, der in wanted.items() if name not in ours or _certificates_of(directory, name) != [der]
    )
    result["current"] = not result["missing"]
    return result


def main(install_it, directory, certificates=None):
    """The body of ``install --nss`` (``install_it``) and ``uninstall --nss``: exit code 0 or 1."""
    directory = os.path.abspath(directory or default_nssdb())
    try:
        if not install_it:
            removed = uninstall(directory)
            print("sandbox-trust: removed %d certificate(s) of ours from %s" % (len(removed), directory))
            return 0
        added, kept, foreign, removed = install(directory, certificates)
    except (NSSError, OSError) as exc:
        sys.stderr.write(
            "sandbox-trust: %s --nss failed: %s\n" % ("install" if install_it else "uninstall", exc)
        )
        return 1
    for ours, theirs in foreign:
        print(
            "sandbox-trust: %s is already in %s as %r (not ours: left as it is)" % (ours, directory, theirs)
        )
    print(
        "sandbox-trust: NSS database %s: %d added, %d already there, %d stale removed "
        "(Chromium and Chrome read it at start; undo: sandbox-trust uninstall --nss%s)"
        % (directory, len(added), len(kept), len(removed), _nssdb_option(directory))
    )
    return 0


def _nssdb_option(directory):
    return "" if directory == default_nssdb() else " --nssdb " + shlex.quote(directory)
