"""The private cache: which directory, whether it is safe, what is in it, how it is written.

The one owner of the cache (docs/design.md, "The private cache"). Everyone else asks it: the
bundle writer (``_bundles``), the hashed directories (``_hashed_dirs``), ``status``, and the
runtimes that store a file of their own (``store_file``). The start-time module keeps a copy of
the warm case only (``_sandbox_trust_boot.open_cache_dir``: the directory exists and every step
is a real, safe directory), written against the rule below and tested against it
(``tests/test_cache_rule.py``); everything else comes here.

The rule. The candidates are ``_sandbox_trust_boot.cache_candidates()`` (``SANDBOX_TRUST_CACHE_DIR``,
else ``$XDG_CACHE_HOME/sandbox-trust`` or ``~/.cache/sandbox-trust``, then
``$TMPDIR/sandbox-trust-UID``), absolute paths only. The cache is the first candidate that either
exists and is private, or does not exist and can be made: only its last two components may be
missing (``.cache/sandbox-trust``: a home directory is never made, ``HOME=/nonexistent`` stays
so), and the directory they go in must be safe and writable by this user (as far as
``access(2)`` can tell: a write that still fails moves on to the next candidate). A candidate
that exists but is not private is *refused* (a problem, said in one line); one that cannot be
made (no home, a read-only file system) is *skipped*.

Private is OpenSSH's StrictModes, checked race-free: every directory from ``/`` down is opened
relative to the one before with ``O_NOFOLLOW`` and must be owned by root or this user and not
writable by group or others, except a sticky one (``/tmp``) entered towards a directory of this
user's; the last must be this user's. A symlink on the way is followed only when it sits in a
trusted directory (and, in a sticky one, is this user's), the last component never. Directories
made here are 0700 whatever the umask (``mkdir`` then ``fchmod``). Every later operation uses the
directory's fd, never its path.

Names in the cache: ``bundle-<sha256>.pem`` (content-named: a reader gets what was written),
``index-<CA identity>-<base identity>`` symlinks to them (``_sandbox_trust_boot.index_name``),
``roots-<sha256>-<version>/`` hashed directories and ``roots-index-<identity>-<version>`` symlinks
to them; every file and link is written under a private temporary name and renamed into place.
"""

import os
import stat
import sys

import _sandbox_trust_boot as boot

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_SYMLINKS = 40  # Linux's own limit for one path
_SHARED = stat.S_IWGRP | stat.S_IWOTH  # a directory others can change

# What the walk found for one candidate.
USABLE = "usable"  # exists and is private: the fd is open
ABSENT = "absent"  # does not exist, and can be made (it will be, on first write)
SKIPPED = "skipped"  # does not exist and cannot be made here: why
REFUSED = "refused"  # exists (or the way to it does) but is not private: why


def _is_symlink(name, dir_fd):
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _components(path):
    """The names a path walks through, the first one last (a stack): no empty names, no "."."""
    return [name for name in reversed(path.split("/")) if name and name != "."]


def walk(path, create=False):
    """``(fd or None, state, why or None)`` for the candidate directory ``path`` (see the rule above).

    With ``create``, missing directories are made (so the state is USABLE, SKIPPED or REFUSED);
    without, nothing is changed (ABSENT says it could be made). Nothing is said: callers decide.
    """
    if not os.path.isabs(path):
        return None, REFUSED, "not an absolute path"
    uid = os.geteuid()
    pending = _components(path)  # still to walk, the next one last
    walked = []  # names from / to the directory of `fd`, for the reasons
    links = 0
    fd = os.open("/", _DIRECTORY_FLAGS)
    try:
        st = os.fstat(fd)
        while True:
            # `st` is the directory `fd` was checked for: may it lead further?
            shared = st.st_mode & _SHARED
            if st.st_uid not in (0, uid) or shared and not (pending and st.st_mode & stat.S_ISVTX):
                reason = "is owned by another user" if st.st_uid not in (0, uid) else "is writable by others"
                return None, REFUSED, "/%s %s" % ("/".join(walked), reason)
            if not pending:
                if st.st_uid == uid:
                    result, fd = fd, None
                    return result, USABLE, None
                return None, REFUSED, "not owned by this user"
            name = pending.pop()
            try:
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                missing = "/".join(walked + [name])
                if len(pending) > 1:  # only the last two are ever made: never a home directory
                    return None, SKIPPED, "/%s does not exist" % missing
                if not create:
                    if os.access(".", os.W_OK | os.X_OK, dir_fd=fd, effective_ids=True):
                        return None, ABSENT, None
                    return None, SKIPPED, "/%s does not exist and /%s is not writable" % (missing, "/".join(walked))
                try:
                    os.mkdir(name, 0o700, dir_fd=fd)
                except FileExistsError:
                    pass  # made by someone else meanwhile: checked like any other below
                except OSError as exc:  # read-only, no permission: the next candidate
                    return None, SKIPPED, "cannot create /%s: %s" % (missing, exc.strerror)
                else:
                    made = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
                    os.fchmod(made, 0o700)  # the umask may have taken bits away, never added them
                    os.close(made)
                pending.append(name)
                continue
            except OSError as exc:
                if pending and links < _MAX_SYMLINKS and _is_symlink(name, fd):
                    link = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if shared and link.st_uid != uid:
                        return None, REFUSED, "/%s is another user's symlink in a shared directory" % (
                            "/".join(walked + [name])
                        )
                    links += 1
                    target = os.readlink(name, dir_fd=fd)
                    pending.extend(_components(target))
                    if target.startswith("/"):
                        os.close(fd)
                        fd = None
                        fd = os.open("/", _DIRECTORY_FLAGS)
                        st = os.fstat(fd)
                        walked = []
                    continue
                problem = "a symlink" if _is_symlink(name, fd) else exc.strerror
                if pending:
                    problem = "/%s: %s" % ("/".join(walked + [name]), problem)
                return None, REFUSED, problem
            child_st = os.fstat(child)
            walked.append(name)
            if shared and child_st.st_uid != uid:  # a sticky parent protects only what is ours
                os.close(child)
                return None, REFUSED, "/%s is not owned by this user, in a shared directory" % "/".join(walked)
            os.close(fd)
            fd, st = child, child_st
    except OSError as exc:
        return None, REFUSED, exc.strerror or str(exc)
    finally:
        if fd is not None:
            os.close(fd)


def open_candidate(path):
    """The start-time module's cold path for one candidate: its fd, None (absent, can be made) or -1.

    -1 means "not usable, ask the next candidate"; a refusal is said in one line.
    """
    fd, state, why = walk(path)
    if state == REFUSED:
        boot.warn("refusing cache directory %s: %s" % (path, why))
    elif state == SKIPPED:
        boot.debug("skipping cache directory %s: %s" % (path, why))
    return fd if state == USABLE else None if state == ABSENT else -1


def choose(create=False):
    """``(directory, fd, refused, skipped)``: the cache by the rule above, and the candidates passed over.

    ``directory`` is None when no candidate is usable; ``fd`` is None when it does not exist yet
    (``create`` false) or none is usable. ``refused`` and ``skipped`` are ``[(candidate, why)]``.
    """
    refused, skipped = [], []
    for directory in boot.cache_candidates():
        fd, state, why = walk(directory, create)
        if state in (USABLE, ABSENT):
            return directory, fd, refused, skipped
        (refused if state == REFUSED else skipped).append((directory, why))
    return None, None, refused, skipped


def open_cache(create=True):
    """``(directory, fd)`` of the cache for writing (made when absent), or ``(None, None)``; refusals said."""
    directory, fd, refused, skipped = choose(create)
    for candidate, why in refused:
        boot.warn("refusing cache directory %s: %s" % (candidate, why))
    for candidate, why in skipped:
        boot.debug("skipping cache directory %s: %s" % (candidate, why))
    if fd is None:
        return None, None
    return directory, fd


def report():
    """What ``status`` says of the cache, without making or writing anything: a dict.

    ``directory`` the writer uses (None: none usable), ``exists`` (False: made on first write),
    ``refused`` and ``skipped`` as ``[{"directory", "why"}]``.
    """
    directory, fd, refused, skipped = choose(create=False)
    if fd is not None:
        os.close(fd)
    return {
        "directory": directory,
        "exists": fd is not None,
        "refused": [{"directory": path, "why": why} for path, why in refused],
        "skipped": [{"directory": path, "why": why} for path, why in skipped],
    }


# --- names ------------------------------------------------------------------------------------

BUNDLE_PREFIX, BUNDLE_SUFFIX = "bundle-", ".pem"
ROOTS_VERSION = "2"  # part of every roots name: a new naming scheme never reads an older scheme's directory


def bundle_name(data):
    """The name a merged bundle with content ``data`` is stored under."""
    import hashlib  # cold path only: its OpenSSL set-up is a cost `import ssl` must not pay

    return "%s%s%s" % (BUNDLE_PREFIX, hashlib.sha256(data).hexdigest()[:32], BUNDLE_SUFFIX)


def is_bundle_path(path):
    """True for a merged bundle of ours: its name, in one of the candidate directories."""
    name = os.path.basename(path)
    return (
        name.startswith(BUNDLE_PREFIX)
        and name.endswith(BUNDLE_SUFFIX)
        and os.path.dirname(path) in boot.cache_candidates()
    )


def roots_name(digest):
    """The hashed directory of a bundle whose content's SHA-256 starts with ``digest`` (32 hex)."""
    return "roots-%s-%s" % (digest, ROOTS_VERSION)


def roots_name_of_bundle(path):
    """The hashed directory's name for a merged bundle of ours (content-named: no hashing needed)."""
    return roots_name(os.path.basename(path)[len(BUNDLE_PREFIX) : -len(BUNDLE_SUFFIX)])


def is_roots_name(name):
    prefix, _, rest = name.partition("-")
    digest, _, version = rest.partition("-")
    return (
        prefix == "roots"
        and len(digest) == 32
        and all(c in "0123456789abcdef" for c in digest)
        and version == ROOTS_VERSION
    )


def roots_index_name(signature):
    """The link naming the hashed directory of a bundle file whose ``boot.file_signature`` is ``signature``."""
    return "roots-index-%s-%s" % (signature, ROOTS_VERSION)


def directories_signature(base):
    """Identity of a tuple base (a bundle, then CA directories: a user's SSL_CERT_DIR), for ``boot.index_name``.

    The stat of each path and, in a directory, of the file each name OpenSSL may look up there
    (``<hash>.<n>``) leads to through its symlinks (-1 where it leads nowhere), in name order: a
    file rewritten in place or a link retargeted changes it, although the directory's own stat
    does not (an entry added, removed or renamed changes the directory's ctime). One listdir and a
    stat per entry, paid only by a user who set SSL_CERT_DIR. Folded with ``hash()`` of a tuple of
    ints, which is the same in every process of one Python version (no hash seed applies) and
    costs none of a cryptographic hash's import: a stat nobody chooses does not collide by
    accident, and whoever can write the directory can add a CA to it anyway.
    """
    identity = []
    for path in base:
        st = os.stat(path)
        identity.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        if not stat.S_ISDIR(st.st_mode):
            continue
        for name in sorted(os.listdir(path)):
            if name[8:9] == "." and len(name) > 9:  # a superset of OpenSSL's names: more never hurts
                try:
                    st = os.stat(os.path.join(path, name))
                except OSError:
                    identity.append(-1)
                    continue
                identity.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return "d%x-%016x" % (sys.version_info[1], hash(tuple(identity)) & 0xFFFFFFFFFFFFFFFF)


JAVA_INDEX_PREFIX = "java-index-"  # spelled as a literal in _java_start too (tests/test_java.py checks)


def java_index_name(ca_signature, cacerts_signature):
    """The link naming the Java trust store of the CA and a JDK's cacerts as they are now."""
    return "%s%s-%s" % (JAVA_INDEX_PREFIX, ca_signature, cacerts_signature)


def bundle_index_name(base, ca_signature):
    """The link naming the merged bundle of ``base`` + the CA as they are now (see ``boot.index_name``)."""
    return boot.index_name(base, ca_signature)


# --- reading ----------------------------------------------------------------------------------


def read_link(fd, index):
    """The plain name the index link ``index`` holds, or None (absent, not a link, not a name of ours)."""
    try:
        name = os.readlink(index, dir_fd=fd)
    except OSError:
        return None
    return None if "/" in name or name in ("", ".", "..") else name


def lookup(fd, directory, index):
    """Path of the regular file the index link ``index`` names, or None: the cold twin of ``boot.cached_bundle``."""
    return boot.cached_bundle(fd, directory, index)


def read_at(fd, relative, limit):
    """Up to ``limit`` + 1 bytes of a file below the cache directory ``fd`` (no symlink at the end)."""
    descriptor = os.open(relative, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    with os.fdopen(descriptor, "rb") as f:
        return f.read(limit + 1)


# --- writing ----------------------------------------------------------------------------------


def _temporary_name():
    return ".tmp-%d-%s" % (os.getpid(), os.urandom(6).hex())


def write_atomically(fd, name, write):
    """Create ``name`` in the directory ``fd``: ``write(temporary name)``, then a rename onto ``name``."""
    temporary = _temporary_name()
    try:
        write(temporary)
        os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=fd)
        except OSError:
            pass
        raise


def write_file(fd, name, data, mode=0o644):
    """The file ``name`` holding ``data`` in the directory ``fd``, written atomically."""

    def write(temporary):
        out = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode, dir_fd=fd)
        with os.fdopen(out, "wb") as f:
            f.write(data)

    write_atomically(fd, name, write)


def write_link(fd, name, target):
    """The index link ``name`` -> ``target`` (a plain name in the same directory), written atomically."""
    write_atomically(fd, name, lambda temporary: os.symlink(target, temporary, dir_fd=fd))


def make_directory(fd, name, files):
    """The directory ``name`` holding ``{file name: bytes}``, complete or not at all.

    Built under a temporary name and renamed onto a name that does not exist yet: if another
    process renamed its (identical) directory first, this one is dropped.
    """
    temporary = _temporary_name()
    os.mkdir(temporary, 0o755, dir_fd=fd)
    try:
        inner = os.open(temporary, _DIRECTORY_FLAGS, dir_fd=fd)
        try:
            for file_name, data in files.items():
                out = os.open(
                    file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=inner
                )
                with os.fdopen(out, "wb") as f:
                    f.write(data)
        finally:
            os.close(inner)
        try:
            os.rename(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError:
            os.stat(name, dir_fd=fd, follow_symlinks=False)  # raises unless another process won
            _remove_tree(fd, temporary)
    except BaseException:
        _remove_tree(fd, temporary)
        raise


def _remove_tree(fd, name):
    """Remove our temporary directory ``name`` (flat: files only) from the directory ``fd``."""
    try:
        inner = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
        try:
            for entry in os.listdir(inner):
                os.unlink(entry, dir_fd=inner)
        finally:
            os.close(inner)
        os.rmdir(name, dir_fd=fd)
    except OSError:
        pass


# --- for other runtimes' files ----------------------------------------------------------------


def store_file(name, data):
    """Path of the file ``name`` holding ``data`` in the private cache, written atomically; None when
    no cache is usable or the write fails (said in a debug line).

    For files other runtimes read (a Java truststore, an NSS database's input): name them by
    their content (as ``bundle_name`` does) so that a reader never sees another version under the
    same name; an existing file of that name is kept as it is.
    """
    if "/" in name or name.startswith(".") or not name:
        raise ValueError("a plain file name is expected: %r" % name)
    directory, fd = open_cache()
    if fd is None:
        return None
    try:
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            write_file(fd, name, data)
        else:
            if not stat.S_ISREG(st.st_mode):
                return None
    except OSError as exc:
        boot.debug("cannot write %s to %s: %s" % (name, directory, exc))
        return None
    finally:
        os.close(fd)
    return os.path.join(directory, name)
