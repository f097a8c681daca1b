"""The private cache directory, walked from ``/`` in full: symlinks, creation, refusals.

``_sandbox_trust_boot.open_private_dir`` handles the common case on every start (each directory
a real one, all of them safe) and hands everything else to this module: a symlink on the way,
a directory to create, a refusal that needs its one line. Same rule as there (OpenSSH's
StrictModes); each directory is opened relative to the fd of the one before with
``O_NOFOLLOW``, so no path string is looked up twice and nothing can be swapped in between.
"""

import os

import _sandbox_trust_boot as boot

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_SYMLINKS = 40  # Linux's own limit for one path


def _is_symlink(name, dir_fd):
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode & 0o170000 == 0o120000
    except OSError:
        return False


def _components(path):
    """The names a path walks through, the first one last (a stack): no empty names, no "."."""
    return [name for name in reversed(path.split("/")) if name and name != "."]


def open_private_dir(path, create=False, what="cache directory"):
    """``_sandbox_trust_boot.open_private_dir`` in full: the same rule, every case.

    A symlink on the way is followed only when it sits in a trusted directory (and, in a sticky
    one, is this user's), the last component never. With ``create``, missing directories are
    made 0700 whatever the umask (``mkdir`` then ``fchmod``, then checked like any other).
    Refusals are one line, naming the directory as ``what``; an absent directory (``create``
    false) is silent: made on first use. The same rule guards the NSS database (``_nss``).
    """
    if not os.path.isabs(path):
        boot.warn("refusing %s %s: not an absolute path" % (what, path))
        return None
    uid = os.geteuid()
    pending = _components(path)  # still to walk, the next one last
    walked = []  # names from / to the directory of `fd`, for the refusal line
    links = 0
    fd = os.open("/", _DIRECTORY_FLAGS)
    try:
        st = os.fstat(fd)
        while True:
            # `st` is the directory `fd` was checked for: may it lead further?
            writable = st.st_mode & 0o022
            if st.st_uid not in (0, uid) or writable and not (pending and st.st_mode & 0o1000):
                reason = "is owned by another user" if st.st_uid not in (0, uid) else "is writable by others"
                problem = "/%s %s" % ("/".join(walked), reason)
                break
            if not pending:
                if st.st_uid == uid:
                    result, fd = fd, None
                    return result
                problem = "not owned by this user"
                break
            name = pending.pop()
            try:
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    return None
                try:
                    os.mkdir(name, 0o700, dir_fd=fd)
                except FileExistsError:
                    pass  # made by someone else meanwhile: checked like any other below
                except OSError as exc:  # read-only, no permission: as before, the next candidate
                    boot.debug("cannot create %s %s: %s" % (what, path, exc.strerror))
                    return None
                else:
                    made = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
                    os.fchmod(made, 0o700)  # the umask may have taken bits away, never added them
                    os.close(made)
                pending.append(name)
                continue
            except OSError as exc:
                if pending and links < _MAX_SYMLINKS and _is_symlink(name, fd):
                    link = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if writable and link.st_uid != uid:
                        problem = "/%s is another user's symlink in a shared directory" % "/".join(
                            walked + [name]
                        )
                        break
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
                break
            child_st = os.fstat(child)
            walked.append(name)
            if writable and child_st.st_uid != uid:  # a sticky parent protects only what is ours
                os.close(child)
                problem = "/%s is not owned by this user, in a shared directory" % "/".join(walked)
                break
            os.close(fd)
            fd, st = child, child_st
    except OSError as exc:
        problem = exc.strerror
    finally:
        if fd is not None:
            os.close(fd)
    boot.warn("refusing %s %s: %s" % (what, path, problem))
    return None
