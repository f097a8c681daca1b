"""``install --java`` / ``uninstall --java``: a truststore for the Java children of Python processes.

A JVM trusts the JDK's ``cacerts`` unless ``-Djavax.net.ssl.trustStore=FILE`` names another store,
which then *replaces* cacerts: so the store is that JDK's own cacerts plus the CA, never the CA
alone. ``install --java`` finds the JDK (``JAVA_HOME``, else the ``keytool`` on ``PATH``), resolves
its cacerts to the real file (Debian: ``/etc/ssl/certs/java/cacerts``, JKS), writes the store to
the private cache and leaves a mark there: a symlink ``java-cacerts`` to that cacerts. From then on
every start that exports variables finds the mark (``_sandbox_trust_boot.export_environment``)
and ``_java_start.export`` adds ``JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=<store>`` (a value
of the user's kept after it); docs/design.md, "Java", says why that variable.

The store is named by its content and found through an index link named by the CA's and the
cacerts' stat signatures, as merged bundles are: a CA that rotates or a cacerts that an update
rewrites misses the index, and the next start builds the store again here (``rebuild``), in
Python: a JKS cacerts is read and the store written without a JVM; only another format (PKCS12)
needs ``keytool -list -rfc``.
"""

import os
import struct
import sys

import _sandbox_trust_boot as boot
from sandbox_trust import _cache
from sandbox_trust._cafile import CAFileError, parse_pem

# Spelled as literals in _sandbox_trust_boot and _java_start too (tests/test_java.py checks).
MARK = "java-cacerts"  # the symlink in the cache that says install --java ran: -> the cacerts used
VARIABLE = "JAVA_TOOL_OPTIONS"
OPTION = "-Djavax.net.ssl.trustStore="
STORE_PREFIX, STORE_SUFFIX = "java-truststore-", ".jks"
PASSWORD = "changeit"  # cacerts' well-known password; a JVM reads a JKS trust store without any
ALIAS_PREFIX = "sandbox-trust-"
JKS_MAGIC, JKS_VERSION = 0xFEEDFEED, 2
TRUSTED_CERTIFICATE = 2  # a JKS entry's tag (1 is a private key: never in a trust store)
MAX_CACERTS_BYTES = 16 << 20
TIMEOUT = 120  # seconds for one keytool run (a JVM start)


class JavaError(Exception):
    """Why no Java truststore can be built; ``str()`` is one sentence."""


# --- the JDK ---------------------------------------------------------------------------------


def find_jdk():
    """``(keytool, cacerts)``: the JDK of ``JAVA_HOME``, else of the ``keytool`` on ``PATH``.

    ``cacerts`` is the real file (symlinks resolved: Debian links the JDK's to /etc/ssl/certs/java).
    """
    import shutil

    java_home = os.environ.get("JAVA_HOME")
    keytool = None
    if java_home:
        keytool = os.path.join(java_home, "bin", "keytool")
        if not os.access(keytool, os.X_OK):
            raise JavaError("JAVA_HOME=%s has no bin/keytool" % java_home)
    else:
        keytool = shutil.which("keytool")
        if keytool is None:
            raise JavaError(
                "no JDK found: neither JAVA_HOME nor a keytool on PATH (Debian: apt-get install default-jdk-headless)"
            )
    home = os.path.dirname(os.path.dirname(os.path.realpath(keytool)))
    for relative in ("lib/security/cacerts", "jre/lib/security/cacerts"):  # JDK 9+, JDK 8
        cacerts = os.path.join(home, relative)
        if os.path.exists(cacerts):
            return keytool, os.path.realpath(cacerts)
    raise JavaError("the JDK at %s has no lib/security/cacerts" % home)


def _keytool():
    try:
        return find_jdk()[0]
    except JavaError:
        return None


# --- JKS, the format of Debian's cacerts and of the store written here ------------------------


def read_jks(data):
    """``[(alias, DER)]`` of a JKS keystore's trusted certificates; JavaError for anything else."""
    try:
        magic, version, count = struct.unpack_from(">III", data)
        if magic != JKS_MAGIC or version not in (1, 2):
            raise JavaError("not a JKS keystore")
        position = 12
        entries = []
        for _ in range(count):
            (tag,) = struct.unpack_from(">I", data, position)
            alias, position = _read_utf(data, position + 4)
            position += 8  # creation time
            if tag != TRUSTED_CERTIFICATE:
                raise JavaError("holds an entry that is not a trusted certificate (alias %s)" % alias)
            if version == 2:
                _kind, position = _read_utf(data, position)
            (length,) = struct.unpack_from(">I", data, position)
            der = data[position + 4 : position + 4 + length]
            if len(der) != length:
                raise JavaError("truncated")
            entries.append((alias, der))
            position += 4 + length
    except struct.error:
        raise JavaError("truncated") from None
    return entries


def _read_utf(data, position):
    (length,) = struct.unpack_from(">H", data, position)
    return data[position + 2 : position + 2 + length].decode("utf-8", "replace"), position + 2 + length


def _utf(text):
    encoded = text.encode("utf-8")
    return struct.pack(">H", len(encoded)) + encoded


def write_jks(entries):
    """A JKS keystore of trusted certificates ``[(alias, DER)]``, its digest keyed by PASSWORD.

    Deterministic (creation times 0): the same certificates make the same bytes, so concurrent
    starts write the same content-named file.
    """
    out = [struct.pack(">III", JKS_MAGIC, JKS_VERSION, len(entries))]
    for alias, der in entries:
        out.append(struct.pack(">I", TRUSTED_CERTIFICATE) + _utf(alias) + struct.pack(">q", 0))
        out.append(_utf("X.509") + struct.pack(">I", len(der)) + der)
    body = b"".join(out)
    # sun.security.provider.JavaKeyStore: SHA-1 over the password (UTF-16BE), a fixed phrase, the body.
    import hashlib

    digest = hashlib.sha1(PASSWORD.encode("utf-16-be") + b"Mighty Aphrodite" + body).digest()
    return body + digest


# --- the store -------------------------------------------------------------------------------


def base_certificates(cacerts, keytool=None):
    """``[(alias, DER)]`` of the JDK's cacerts: read directly when JKS, else with ``keytool -list -rfc``."""
    data = _read_cacerts(cacerts)
    if data[:4] == struct.pack(">I", JKS_MAGIC):
        try:
            entries = read_jks(data)
        except JavaError as exc:
            raise JavaError("%s: %s" % (cacerts, exc)) from None
    else:
        import subprocess

        keytool = keytool or _keytool()
        if keytool is None:
            raise JavaError("%s is not JKS and no keytool is found to read it" % cacerts)
        try:
            process = subprocess.run(
                [keytool, "-list", "-rfc", "-keystore", cacerts, "-storepass", PASSWORD],
                capture_output=True,
                timeout=TIMEOUT,
                env=dict(os.environ, JAVA_TOOL_OPTIONS="", JDK_JAVA_OPTIONS=""),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise JavaError("cannot run keytool: %s" % exc) from None
        if process.returncode != 0:
            raise JavaError(
                "keytool cannot read %s: %s"
                % (
                    cacerts,
                    " ".join((process.stdout + process.stderr).decode(errors="replace").split())[-200:],
                )
            )
        entries = _parse_rfc_listing(process.stdout.decode("utf-8", "replace"))
    if not entries:
        raise JavaError(
            "%s holds no certificate: a store of the CA alone would distrust every public root" % cacerts
        )
    return entries


def _parse_rfc_listing(text):
    entries = []
    for chunk in text.split("Alias name: ")[1:]:
        alias = chunk.split("\n", 1)[0].strip()
        try:
            der = parse_pem(chunk.encode("ascii", "replace"), source="keytool's output").der
        except CAFileError:
            continue  # an entry that is not a certificate
        entries.extend((alias, one) for one in der[:1])
    return entries


def _read_cacerts(path):
    from sandbox_trust._bundles import read_file  # regular files only, never blocking, bounded

    try:
        return read_file(path)
    except OSError as exc:
        raise JavaError("cannot read %s: %s" % (path, exc)) from None


def store_bytes(cacerts, certificates, keytool=None):
    """The store: every certificate of cacerts, then each CA certificate it does not hold already."""
    import hashlib

    entries = base_certificates(cacerts, keytool)
    held = {der for _alias, der in entries}
    for der in certificates:
        if der not in held:
            entries.append((ALIAS_PREFIX + hashlib.sha256(der).hexdigest(), der))
    return write_jks(entries)


def _write_store(fd, directory, cacerts, certificates, ca_signature, keytool=None):
    import hashlib  # here and below, not at import: a start that finds the store needs none of it

    cacerts_signature = boot.file_signature(cacerts)  # before reading: a change after it misses next time
    data = store_bytes(cacerts, certificates, keytool)
    name = "%s%s%s" % (STORE_PREFIX, hashlib.sha256(data).hexdigest()[:32], STORE_SUFFIX)
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        _cache.write_file(fd, name, data)
    _cache.write_link(fd, _cache.java_index_name(ca_signature, cacerts_signature), name)
    return os.path.join(directory, name)


def install(certificates):
    """Build the store for the JDK found now and leave the mark; returns ``(store path, cacerts)``."""
    keytool, cacerts = find_jdk()
    try:
        ca_signature = boot.file_signature(boot.settings.ca_path)
    except OSError as exc:
        raise JavaError("cannot read the CA file: %s" % exc) from None
    directory, fd = _cache.open_cache()
    if fd is None:
        raise JavaError("no private cache directory is usable (sandbox-trust status says why)")
    # JAVA_TOOL_OPTIONS is split at whitespace (quoting differs between JDKs): the start-up path
    # exports the store's path as it is, so a path it could not carry is refused here, once.
    if any(character.isspace() or character in "\"'" for character in directory):
        os.close(fd)
        raise JavaError(
            "the cache's path %s has a space or a quote, which JAVA_TOOL_OPTIONS cannot carry" % directory
        )
    try:
        # Older stores: only this one is current.
        _remove(fd, lambda name: name.startswith(_cache.JAVA_INDEX_PREFIX))
        path = _write_store(fd, directory, cacerts, certificates, ca_signature, keytool)
        _remove(fd, lambda name: name.startswith(STORE_PREFIX) and name != os.path.basename(path))
        _cache.write_atomically(fd, MARK, lambda temporary: os.symlink(cacerts, temporary, dir_fd=fd))
    finally:
        os.close(fd)
    return path, cacerts


def rebuild(cache_fd, directory, cacerts, certificates, ca_signature):
    """The cold path of a start (``_java_start.export``): the store for the CA and cacerts of now, or None.

    ``certificates``: the CA as ``_cafile.CACertificates`` when the start has parsed it already.
    Stores of earlier versions are left: a process started before still names one, and the next
    ``install --java`` or ``uninstall --java`` removes them.
    """
    if certificates is None:  # the start found every bundle in the cache: the CA is read only now
        from sandbox_trust import _ca

        certificates = _ca.checked_certificates()
        if certificates is None:
            return None
    try:
        return _write_store(cache_fd, directory, cacerts, certificates.der, ca_signature)
    except (JavaError, OSError) as exc:
        boot.debug("no Java truststore for %s: %s" % (cacerts, exc))
        return None


def _remove(fd, chosen):
    removed = []
    for name in os.listdir(fd):
        if chosen(name):
            os.unlink(name, dir_fd=fd)
            removed.append(name)
    return removed


def uninstall():
    """Remove the mark, the stores and their index links; returns how many files went."""
    directory, fd, _refused, _skipped = _cache.choose(create=False)
    if fd is None:
        return 0
    try:
        return len(
            _remove(
                fd,
                lambda name: name == MARK or name.startswith((STORE_PREFIX, _cache.JAVA_INDEX_PREFIX)),
            )
        )
    finally:
        os.close(fd)


def report():
    """For ``status``: ``{"installed", "cacerts", "store", "problem"}``, changing nothing.

    ``store`` is None when the next start builds it (the CA or cacerts changed since).
    """
    result = {"installed": False, "cacerts": None, "store": None, "problem": None}
    directory, fd, _refused, _skipped = _cache.choose(create=False)
    if fd is None:
        return result
    try:
        try:
            cacerts = os.readlink(MARK, dir_fd=fd)
        except OSError:
            return result
        result["installed"], result["cacerts"] = True, cacerts
        try:
            ca_signature = boot.file_signature(boot.settings.ca_path)
            index = _cache.java_index_name(ca_signature, boot.file_signature(cacerts))
        except OSError:
            result["problem"] = (
                "install --java used the JDK cacerts %s, which is gone: Java children get no truststore "
                "(sandbox-trust install --java again, for the JDK of now)" % cacerts
            )
            return result
        result["store"] = boot.cached_bundle(fd, directory, index)  # None: the next start builds it
    finally:
        os.close(fd)
    return result


def main(install_it, certificates=None):
    """The body of ``install --java`` (``install_it``) and ``uninstall --java``: exit code 0 or 1."""
    if not install_it:
        try:
            count = uninstall()
        except OSError as exc:
            sys.stderr.write("sandbox-trust: uninstall --java failed: %s\n" % exc)
            return 1
        print(
            "sandbox-trust: Java truststore removed (%d files); Python processes no longer export it" % count
        )
        return 0
    try:
        path, cacerts = install(certificates)
    except (JavaError, OSError) as exc:
        sys.stderr.write("sandbox-trust: install --java failed: %s\n" % exc)
        return 1
    print(
        "sandbox-trust: Java truststore %s (%s + the CA); Python processes started from now on export "
        "JAVA_TOOL_OPTIONS=%s%s for their Java children (undo: sandbox-trust uninstall --java)"
        % (path, cacerts, OPTION, path)
    )
    return 0
