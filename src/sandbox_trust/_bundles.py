"""Merged bundles (default roots + CA) in the private cache: built once, read by every start.

Files are named by the SHA-256 of their content and written with an atomic rename, so processes
starting together (a cold-cache stampede) write identical files and no reader sees a partial one.
An index symlink maps (CA version, base version) to the bundle, so later starts find it with one
``readlink`` instead of reading and hashing 200 KB (see ``_sandbox_trust_boot.export_environment``).
Where and how they are stored is ``_cache``'s; this module says what goes in them.
"""

import os

import _sandbox_trust_boot as boot
from sandbox_trust import _cache, _cafile
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
    """The bytes of a bundle sandbox-trust did not write (``_cafile.read_file``: never blocking,
    regular files only), up to a public bundle's sane size; OSError otherwise."""
    return _cafile.read_file(path, MAX_BASE_BYTES)


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


def build_and_index(base, certificates, index):
    """Path of the merged bundle for ``base`` (None: the CA alone, for additive variables), or None.

    None when the base cannot be read or no private cache is usable: in-process trust does not
    depend on any of these files. ``index`` is the name of the link to it (``_cache.bundle_index_name``),
    taken before the base was read: if the base changes meanwhile, the next lookup misses.
    """
    try:
        if index is None:  # the base could not even be looked at
            raise OSError("cannot stat it")
        base_data = _read_base(base) if base else b""
    except OSError as exc:
        boot.debug("cannot read %s (%s): leaving it alone" % (describe(base), exc))
        return None
    data = merge(base_data, certificates)
    name = _cache.bundle_name(data)
    directory, fd = _cache.open_cache()
    if fd is None:
        boot.debug("no private cache directory: variables for child processes are not exported")
        return None
    try:
        try:
            os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            _cache.write_file(fd, name, data)
        _cache.write_link(fd, index, name)
    except OSError as exc:
        boot.debug("cannot write to %s: %s" % (directory, exc))
        return None
    finally:
        os.close(fd)
    boot.debug("built %s from %s" % (name, describe(base) or "the CA alone"))
    return os.path.join(directory, name)


_found = {}  # index name (the identity of a base and the CA as they were) -> merged bundle path
_sources = {}  # merged bundle path -> its base, for the bundles this process handed out or exported


def bundle_for(base, certificates):
    """The merged bundle for ``base`` and the CA as they are now, from the index when warm, else built.

    Keyed by their identity (``_cache.bundle_index_name``: a stat per input), not by the path: a
    base rewritten or replaced while a process runs gets a new bundle at the next call, as the
    file itself would be read again without sandbox-trust.
    """
    try:
        index = _cache.bundle_index_name(base, boot.file_signature(boot.settings.ca_path))
    except OSError:
        return None
    path = _found.get(index)
    if path is None:
        path = _find_or_build(base, certificates, index)
        if path is not None:
            _found[index] = path
            _sources[path] = base
    return path


_default_roots = []  # the default roots file, once found: which file it is does not change


def default_roots_file():
    """The system bundle, else certifi's (found, not imported): the roots OpenSSL's users extend."""
    return boot.default_bases()["system"]


def merged_default_roots(certificates):
    """The bundle start-up exports for the default roots (system, else certifi) + CA, or None."""
    if not _default_roots:
        _default_roots.append(default_roots_file())
    return bundle_for(_default_roots[0], certificates) if _default_roots[0] else None


_exported_bases = {}  # exported bundle path -> its base, worked out when the record changes
_exported_bases_count = [-1]  # len(boot.export_record) when it was


def current(path, certificates):
    """The bundle to read for the merged bundle ``path`` now: the one for its base as it is now.

    A merged bundle is a copy of its base made when it was built; a process that keeps its path
    (requests binds ``certifi.where()`` at import, start-up exports ``SSL_CERT_FILE``) would keep
    trusting what the base held then. For a bundle this process handed out or exported, the base
    is looked at again (a stat) and a changed one gets its new bundle; any other path is returned
    as it is.
    """
    base = _sources.get(path)
    if base is None:
        if _exported_bases_count[0] != len(boot.export_record):  # start-up, or a late CA, exported since
            _exported_bases.clear()
            _exported_bases.update(_bases_of_exports())
            _exported_bases_count[0] = len(boot.export_record)
        if path not in _exported_bases:
            return path
        base = _exported_bases[path]
    return bundle_for(base, certificates) or path


def _bases_of_exports():
    """``{bundle path: base}`` for what start-up (or a late CA) exported in this process."""
    plan = boot.planned_exports()
    return {
        exported: plan[name]
        for name, (_before, exported) in boot.export_record.items()
        if name in plan and _cache.is_bundle_path(exported)
    }


def _find_or_build(base, certificates, index):
    directory, fd, _refused, _skipped = _cache.choose()
    if fd is not None:
        try:
            path = _cache.lookup(fd, directory, index)
        finally:
            os.close(fd)
        if path is not None:
            return path
    return build_and_index(base, certificates, index)
