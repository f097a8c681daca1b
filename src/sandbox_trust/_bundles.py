"""Merged bundles (default roots + CA) in the private cache: built once, read by every start.

Files are named by the SHA-256 of their content and written with an atomic rename, so processes
starting together (a cold-cache stampede) write identical files and no reader sees a partial one.
An index symlink maps (CA version, base version) to the bundle, so later starts find it with one
``readlink`` instead of reading and hashing 200 KB (see ``_sandbox_trust_boot.export_environment``).
"""

import os
import stat

import _sandbox_trust_boot as boot
from sandbox_trust._cafile import END, CAFileError, der_to_pem, parse_pem

MAX_BASE_BYTES = 16 << 20  # a public bundle is ~220 KB; anything this big is not one
MARKER = b"# sandbox-trust: injected interception CA\n"  # precedes each certificate merge() adds
_MARKER_TEXT = MARKER.rstrip()  # as found after a copy that changed the line endings


def _line_ended(data):
    """``data`` ready for another PEM block to follow: empty, or ending in a newline."""
    return data if not data or data.endswith(b"\n") else data + b"\n"


def merge(base, certificates):
    """``base`` (bytes) plus each CA certificate it does not already hold: merging is idempotent.

    ``certificates`` is the CA as ``_cafile.CACertificates``; so for every function below that takes it.
    Only those OpenSSL loads go in: one it refuses would break every connection through the file.
    """
    merged = _line_ended(base)
    for der in certificates.checked().der:
        pem = der_to_pem(der).encode("ascii")
        if pem not in merged:
            merged += MARKER + pem
    return merged


def unmerge(merged):
    """What ``merge`` started from: every block that follows a MARKER removed.

    Whatever the line endings (a copy may have rewritten them): a marked block is dropped up to
    and including its END line; a marker with no END after it drops the rest.
    """
    end = END.encode("ascii")
    pieces = merged.split(_MARKER_TEXT)
    kept = [pieces[0]]
    for piece in pieces[1:]:
        after = piece.find(end)
        kept.append(b"" if after < 0 else piece[after + len(end) :].lstrip(b"\r\n"))
    return b"".join(kept)


def is_marked(data):
    """True when ``data`` (bytes or text) holds a certificate that ``merge`` added."""
    return (_MARKER_TEXT if isinstance(data, bytes) else _MARKER_TEXT.decode("ascii")) in data


def describe(base):
    """``base`` for people: a path, or the paths of a bundle and CA directories joined by " + "."""
    return " + ".join(base) if isinstance(base, tuple) else base


def _read_base(base):
    """What a merged bundle starts from: a bundle file, or a tuple of one and CA directories."""
    if not isinstance(base, tuple):
        return read_file(base)
    data = b""
    for path in base:
        data = _line_ended(data)
        data += _directory_certificates(path, data) if os.path.isdir(path) else read_file(path)
    return data


def read_file(path):
    """The bytes of a file sandbox-trust did not write: never blocking, regular files only.

    A user's SSL_CERT_FILE may be a FIFO, a device or a directory: opening one must not wait for
    a writer or a terminal, and reading one must not run forever (OSError instead).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file")
        if st.st_size > MAX_BASE_BYTES:
            raise OSError("too large")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_BASE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BASE_BYTES:
        raise OSError("too large")
    return data


def _hashed_name(name):
    """``(hash, n)`` of a name OpenSSL looks up in a CA directory (``%08x.%d``), else None."""
    stem, dot, number = name.partition(".")
    if len(stem) != 8 or dot != "." or any(c not in "0123456789abcdef" for c in stem):
        return None
    if not number.isascii() or not number.isdigit() or str(int(number)) != number:
        return None  # "01" or "١" are never looked up: OpenSSL prints n with %d
    return stem, int(number)


def _directory_certificates(path, held):
    """PEM of the certificates OpenSSL would find in the CA directory ``path``, minus those ``held``.

    OpenSSL opens ``<hash>.0``, ``<hash>.1``, ... for the subject it looks for and stops at the
    first name missing or unloadable; a certificate filed under another hash than its subject's
    is never looked up, so it is not taken (nor one whose subject hash is not known for certain).
    """
    from sandbox_trust._subject_hash import subject_hash  # cold path only: a user's SSL_CERT_DIR

    numbers = {}
    for name in os.listdir(path):
        parsed = _hashed_name(name)
        if parsed is not None:  # not CRLs (.r0), the PEM files hashed names link to, bundles
            numbers.setdefault(parsed[0], set()).add(parsed[1])
    found = []
    for stem in sorted(numbers):
        number = 0
        while number in numbers[stem]:
            try:
                certificates = parse_pem(read_file(os.path.join(path, "%s.%d" % (stem, number))), source=stem)
            except (OSError, CAFileError):
                break  # OpenSSL stops at a file it cannot load too
            for der in certificates.der:
                pem = der_to_pem(der).encode("ascii")
                if subject_hash(der) == stem and pem not in held and pem not in found:
                    found.append(pem)
            number += 1
    return b"".join(found)


def open_cache(create=True):
    """``(directory, fd)`` of the first usable private cache directory, or ``(None, None)``."""
    for directory in boot.cache_candidates():
        try:
            # Checked from / down and made 0700 whatever the umask; the fd is what is used from here.
            fd = boot.open_private_dir(directory, create=create)
        except OSError:
            continue  # cannot create it (read-only, permissions): try the next candidate
        if fd is not None:
            return directory, fd
    return None, None


def _write_atomically(fd, name, write):
    """Create ``name`` in the directory ``fd`` through a private temporary name and a rename."""
    temporary = ".tmp-%d-%s" % (os.getpid(), os.urandom(6).hex())
    try:
        write(temporary)
        os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=fd)
        except OSError:
            pass
        raise


def _write_file(fd, name, data):
    def write(temporary):
        out = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=fd)
        with os.fdopen(out, "wb") as f:
            f.write(data)

    _write_atomically(fd, name, write)


def build_and_index(base, certificates, ca_signature):
    """Path of the merged bundle for ``base`` (None: the CA alone, for additive variables), or None.

    None when the base cannot be read or no private cache is usable: in-process trust does not
    depend on any of these files. ``ca_signature`` is the CA file's, for the index name.
    """
    try:
        base_data = _read_base(base) if base else b""
    except OSError as exc:
        boot.debug("cannot read %s (%s): leaving it alone" % (describe(base), exc))
        return None
    import hashlib  # here, not at module level: its OpenSSL set-up is a cost `import ssl` must not pay

    data = merge(base_data, certificates)
    name = "bundle-%s.pem" % hashlib.sha256(data).hexdigest()[:32]
    directory, fd = open_cache()
    if fd is None:
        boot.debug("no private cache directory: variables for child processes are not exported")
        return None
    try:
        try:
            os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            _write_file(fd, name, data)
        index = boot.index_name(base, ca_signature)
        _write_atomically(fd, index, lambda temporary: os.symlink(name, temporary, dir_fd=fd))
    except OSError as exc:
        boot.debug("cannot write to %s: %s" % (directory, exc))
        return None
    finally:
        os.close(fd)
    boot.debug("built %s from %s" % (name, describe(base) or "the CA alone"))
    return os.path.join(directory, name)


_found = {}  # base -> merged bundle path, once found in this process (a miss is retried)


def bundle_for(base, certificates):
    """The merged bundle for ``base``: found once per process, from the index when warm, else built."""
    path = _found.get(base)
    if path is None:
        path = _find_or_build(base, certificates)
        if path is not None:
            _found[base] = path
    return path


_DEFAULT_ROOTS = object()  # _found key: skips default_roots_file()'s stat calls once found


def default_roots_file():
    """The system bundle, else certifi's (found, not imported): the roots OpenSSL's users extend."""
    return boot.default_bases()["system"]


def merged_default_roots(certificates):
    """The bundle start-up exports for the default roots (system, else certifi) + CA, or None."""
    path = _found.get(_DEFAULT_ROOTS)
    if path is None:
        roots = default_roots_file()
        path = bundle_for(roots, certificates) if roots else None
        if path is not None:
            _found[_DEFAULT_ROOTS] = path
    return path


def _find_or_build(base, certificates):
    try:
        ca_signature = boot.file_signature(boot.settings.ca_path)
    except OSError:
        return None
    directory, fd = open_cache(create=False)
    if fd is not None:
        try:
            path = boot.cached_bundle(fd, directory, base, ca_signature)
        finally:
            os.close(fd)
        if path is not None:
            return path
    return build_and_index(base, certificates, ca_signature)
