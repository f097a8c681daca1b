"""Hashed directories of default roots: OpenSSL looks a root up when a chain needs it.

OpenSSL 3.0 parses a whole bundle (~145 certificates, ~35 ms) into every new context that loads
it; from a directory of ``<subject hash>.<n>`` files (``load_verify_locations(capath=...)``) it
reads only the issuer a handshake asks for (docs/design.md, "Lazy roots"). Next to each base in
the private cache sits the directory of its certificates, named by the SHA-256 of the base's
content (``roots-<hex>-<version>``) and built in a temporary directory renamed into place, so a
stampede of cold starts sees either no directory or a complete one. A base that cannot be named
with certainty (a subject this package cannot canonicalise, anything but certificates) gets a
plain file under that name instead: "load it eagerly", remembered like a directory.
"""

import os
import stat

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles, _cache, _der, _waits
from sandbox_trust._cafile import BEGIN, CAFileError, der_to_pem, parse_pem
from sandbox_trust._subject_hash import hashed_names, subject_hash


class LazyRoots:
    """What a client context loads instead of a bundle: ``capath``, plus ``cadata`` (DER) eagerly.

    ``cadata`` holds the directory's certificates whose subject hash is one of the CA's: the CA is
    always loaded eagerly, and OpenSSL never asks a directory for a subject already in the store,
    so a base root with the CA's subject would otherwise be out of reach.
    """

    __slots__ = ("capath", "cadata")

    def __init__(self, capath, cadata):
        self.capath = capath
        self.cadata = cadata


def is_merged_bundle(path):
    """True for a bundle that ``_bundles`` wrote: its name, in one of the cache directories."""
    return _cache.is_bundle_path(path)


_found = {}  # base path -> (its signature, the CA's certificates, LazyRoots or False: load it eagerly)
# Threads racing for their first context build a directory once; the thread building it, re-entered
# by the app's code (a sys.stderr our warning writes to makes a context), does not wait on itself.
_section = _waits.Section()


def roots_for(path, certificates):
    """The hashed directory for the bundle at ``path`` as it is now, or None: load it eagerly.

    Looked up again whenever the file's signature (``boot.file_signature``: one stat per new
    context) or the CA changed: a bundle rewritten or replaced while a process runs reaches its
    next context, as it does without sandbox-trust, where OpenSSL reads the file each time.
    Built on the first miss (the first client context after a cold start or a change).
    ``certificates`` is the CA (``_cafile.CACertificates``).
    """
    try:
        signature = boot.file_signature(path)
    except OSError:
        return None  # gone or unreadable: loaded eagerly, OpenSSL says what it says of it
    known = _found.get(path)
    if known is None or known[0] != signature or known[1] is not certificates:
        with _section as first:
            if not first:
                return None  # re-entered while building: this one context loads the bundle eagerly
            known = _found.get(path)
            if known is None or known[0] != signature or known[1] is not certificates:
                try:
                    roots = _find_or_build(path, signature, certificates)
                except Exception:
                    boot.internal_error("finding the hashed directory for %s" % path)
                    roots = None
                known = _found[path] = (signature, certificates, roots or False)
                boot.debug("roots of %s: %s" % (path, roots.capath if roots else "loaded eagerly"))
    return known[2] or None


def directories():
    """``{base path: hashed directory}`` as this process last found them (for tests and reports)."""
    return {path: known[2].capath for path, known in _found.items() if known[2]}


def _find_or_build(path, signature, certificates):
    ca_hashes = []
    for der in certificates.der:
        digest = subject_hash(der)
        if digest is None:
            return None  # which base root shares the CA's subject cannot be told: all eagerly
        ca_hashes.append(digest)
    directory, fd = _cache.open_cache()
    if fd is None:
        return None
    if os.pathsep in directory:  # OpenSSL splits a capath at ":" into several directories
        os.close(fd)
        return None
    try:
        name, data = _directory_name(fd, directory, path, signature)
        if name is None:
            return None
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            if data is None:  # a merged bundle of ours: named by its content, never changed
                data = _bundles.read_file(path)
            # The base's certificates only: the CA is always loaded eagerly, and a directory without
            # it cannot give the CA to a server context that is handed it as capath.
            _build(fd, name, _bundles.unmerge(data))
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            return None  # the "load it eagerly" file
        if st.st_uid != os.geteuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            boot.warn("refusing hashed directory %s: not owned by this user or writable by others" % name)
            return None
        cadata = b"".join(_same_hash(fd, name, digest, certificates.der) for digest in ca_hashes)
    except (OSError, CAFileError) as exc:
        boot.debug("no hashed directory for %s: %s" % (path, exc))
        return None
    finally:
        os.close(fd)
    return LazyRoots(os.path.join(directory, name), cadata)


_entries = {}  # hashed directory -> {subject hash: frozenset of its files' contents}
_shadowed = {}  # (earlier directories, directory) -> DER to load eagerly, or None


def shadowed(earlier, capath):
    """DER to load eagerly with ``capath`` added after the hashed directories ``earlier``, or None.

    For a subject hash that an earlier directory holds too, OpenSSL never reaches ``capath``: where
    their certificates differ, all of them are loaded eagerly, which is what parsing both bundles
    left in the store. Read once per process per pair of directories.
    """
    if not earlier:
        return b""
    key = (earlier, capath)
    if key not in _shadowed:
        try:
            later = _files(capath)
            before = [_files(directory) for directory in earlier]
            pems = set()
            for digest, files in later.items():
                others = [entries[digest] for entries in before if digest in entries]
                if any(other != files for other in others):
                    pems.update(files.union(*others))
            _shadowed[key] = b"".join(
                der for pem in sorted(pems) for der in parse_pem(pem, source="hashed directory").der
            )
        except (OSError, CAFileError) as exc:
            boot.debug("cannot compare %s with %s: %s" % (capath, ", ".join(earlier), exc))
            _shadowed[key] = None
    return _shadowed[key]


def held_by(directories, digests):
    """DER of the certificates named ``<digest>.<n>`` in ``directories`` (``digests`` None: all)."""
    pems = set()
    for capath in directories:
        files = _files(capath)
        for digest in files if digests is None else digests:
            pems.update(files.get(digest, ()))
    return b"".join(der for pem in sorted(pems) for der in parse_pem(pem, source="hashed directory").der)


_file_digests = {}  # (path, stat signature) -> subject hashes of its certificates, or None


def file_digests(path):
    """Subject hashes of the certificates in the PEM file ``path``; None when one is not certain."""
    try:
        key = (path, boot.file_signature(path))
    except OSError:
        return set()  # OpenSSL loaded nothing from it either
    if key not in _file_digests:
        try:
            data = _bundles.read_file(path)
            named = _nameable(data)
            _file_digests[key] = None if named is None else {name.partition(".")[0] for name, _ in named}
        except OSError:
            _file_digests[key] = None
    return _file_digests[key]


def cadata_digests(cadata):
    """Subject hashes of ``cadata`` (PEM text or concatenated DER); None when one is not certain."""
    try:
        if isinstance(cadata, str):
            der = parse_pem(cadata.encode("ascii"), source="cadata").der
        else:
            der = _split_der(bytes(cadata))
    except (ValueError, CAFileError, TypeError):
        return None
    digests = {subject_hash(one) for one in der}
    return None if None in digests else digests


def _split_der(data):
    parts, position = [], 0
    while position < len(data):
        _tag, _start, end = _der.element(data, position, len(data))
        parts.append(data[position:end])
        position = end
    return parts


def _files(capath):
    entries = _entries.get(capath)
    if entries is None:
        found = {}
        for name in os.listdir(capath):
            with open(os.path.join(capath, name), "rb") as f:
                found.setdefault(name.partition(".")[0], set()).add(f.read())
        entries = _entries[capath] = {digest: frozenset(files) for digest, files in found.items()}
    return entries


def _directory_name(fd, directory, path, signature):
    """``(roots-<sha256 of the base>-<version>, the base's bytes if they were read)``, or ``(None, None)``.

    A merged bundle of ours is named by its content already; any other base (the system bundle, a
    certifi copy) is looked up by its signature, taken before the file is read: if the file
    changes meanwhile, the next lookup misses. The directory is built from the very bytes hashed.
    """
    if os.path.dirname(path) == directory and is_merged_bundle(path):
        return _cache.roots_name_of_bundle(path), None
    index = _cache.roots_index_name(signature)
    name = _cache.read_link(fd, index)
    if name is not None:
        return (name, None) if _cache.is_roots_name(name) else (None, None)  # only ever a name of ours
    import hashlib  # cold path only

    data = _bundles.read_file(path)
    name = _cache.roots_name(hashlib.sha256(data).hexdigest()[:32])
    _cache.write_link(fd, index, name)
    return name, data


def _same_hash(fd, name, digest, skip):
    """DER of the directory's certificates named ``<digest>.<n>``, minus those in ``skip``."""
    found = []
    number = 0
    while True:
        try:
            data = _cache.read_at(fd, "%s/%s.%d" % (name, digest, number), _bundles.MAX_BASE_BYTES)
        except FileNotFoundError:
            return b"".join(found)
        found.extend(der for der in parse_pem(data, source="hashed directory").der if der not in skip)
        number += 1


def _nameable(data):
    """The certificates of ``data`` as DER when each can be named with certainty, else None.

    OpenSSL's file loader also takes CRLs and TRUSTED CERTIFICATE blocks (with trust settings a
    directory entry read as a plain certificate would lose): a base holding any is loaded eagerly.
    """
    if data.count(b"-----BEGIN ") != data.count(BEGIN.encode("ascii")):
        return None
    try:
        der = parse_pem(data, source="base bundle").der
    except CAFileError:
        return None
    named, eager = hashed_names(der)
    # One uncertain subject may equal a named one, which OpenSSL would then never look up.
    return None if eager or not named else named


def _build(fd, name, data):
    """Write the directory ``name`` (or the "load it eagerly" file) for the bundle ``data``."""
    named = _nameable(data)
    if named is None:
        _cache.write_file(fd, name, b"")
        return
    _cache.make_directory(fd, name, {file_name: der_to_pem(der).encode("ascii") for file_name, der in named})
    boot.debug("built %s: %d certificates" % (name, len(named)))
