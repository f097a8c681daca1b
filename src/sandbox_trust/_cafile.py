"""Reading and validating the injected CA file: PEM certificates only, nothing else is ever kept.

The file may be half-written (the runtime is still copying it), hostile or simply wrong; none of
that may hang, crash or slow the interpreter. Only certificate blocks are decoded and re-encoded,
so a private key that sits beside a certificate is never copied anywhere.
"""

import binascii
import os
import stat

from sandbox_trust import _der

MAX_CA_FILE_BYTES = 1 << 20  # one CA is ~2 KB; a whole public bundle is ~220 KB
BEGIN = "-----BEGIN CERTIFICATE-----"
END = "-----END CERTIFICATE-----"


class CAFileError(Exception):
    """The CA file cannot be used; ``str()`` is one sentence for the user."""

    def __init__(self, message, incomplete=False, absent=False, key_only=False):
        super().__init__(message)
        self.incomplete = incomplete or absent  # may still be landing: worth waiting for when declared
        self.absent = absent
        self.key_only = key_only  # a private key and no certificate: not a CA file at all


class CACertificates:
    """The certificates of a CA file as DER, and in the form ``load_verify_locations(cadata=)`` takes.

    ``rejected`` lists the blocks left out, ``(position, DER or None, why)``, position counting
    certificate blocks from 1; ``truncated`` says the last block has no END line (still landing,
    or cut short).
    """

    __slots__ = ("der", "cadata", "has_private_key", "rejected", "truncated", "positions", "_checked")

    def __init__(
        self, der, has_private_key=False, rejected=(), truncated=False, positions=None, checked=False
    ):
        self.der = tuple(der)
        # The form ``SSLContext.load_verify_locations(cadata=...)`` takes; built once, used per context.
        self.cadata = b"".join(self.der)
        self.has_private_key = has_private_key
        self.rejected = tuple(rejected)
        self.truncated = truncated
        self.positions = tuple(positions) if positions is not None else tuple(range(1, len(self.der) + 1))
        self._checked = self if checked else None

    def checked(self):
        """These certificates less those OpenSSL cannot load: what a bundle, a text or a context may
        hold. Checked in a scratch context the first time only (creating one is a cost every process
        would pay at its first TLS use, so the CA is not checked until something needs it)."""
        if self._checked is None:
            refused = openssl_rejects(self.der)
            if not refused:
                self._checked = self
            else:
                keep = [index for index in range(len(self.der)) if index not in refused]
                rejected = list(self.rejected)
                rejected.extend((self.positions[index], self.der[index], refused[index]) for index in refused)
                rejected.sort(key=lambda item: item[0])
                self._checked = CACertificates(
                    [self.der[index] for index in keep],
                    self.has_private_key,
                    rejected,
                    self.truncated,
                    [self.positions[index] for index in keep],
                    checked=True,
                )
        return self._checked


def der_to_pem(der):
    body = binascii.b2a_base64(der, newline=False).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "%s\n%s\n%s\n" % (BEGIN, "\n".join(lines), END)


class FileRefused(OSError):
    """A path that is not a regular file of a sane size; ``str()`` says what it is."""


def read_file(path, limit):
    """The bytes of the file ``path``, never blocking on it: regular files of ``limit`` bytes at most.

    The files read here were written by someone else (a CA file, a user's SSL_CERT_FILE, a bundle
    in a CA directory) and may be a FIFO, a device or a directory: opening one must not wait for a
    writer or a terminal (O_NONBLOCK, O_NOCTTY), and reading one must not run for ever. Raises
    OSError: the open's own, or ``FileRefused``.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused("is not a regular file")
        if st.st_size > limit:
            raise FileRefused("is too large (%d bytes)" % st.st_size)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew since the fstat
        raise FileRefused("is too large (more than %d bytes)" % limit)
    return data


def read_ca_file(path):
    """The bytes of the CA file ``path`` (``read_file``); CAFileError with one sentence otherwise."""
    try:
        return read_file(path, MAX_CA_FILE_BYTES)
    except FileNotFoundError:
        raise CAFileError("CA file %s does not exist" % path, absent=True) from None
    except FileRefused as exc:
        suffix = " to be a CA certificate" if "too large" in str(exc) else ""
        raise CAFileError("CA file %s %s%s" % (path, exc, suffix)) from None
    except OSError as exc:
        raise CAFileError("cannot open CA file %s: %s" % (path, exc.strerror or exc)) from None


def parse_pem(data, source="CA file", check=False):
    """Certificates in ``data`` (PEM bytes); raises CAFileError with one sentence when none is usable.

    One bad block breaks nothing: a block that does not decode to one DER certificate, or (with
    ``check``, else later through ``CACertificates.checked()``) that OpenSSL cannot load, is left
    out and listed in ``rejected``; the others are used. Text around the blocks may be anything
    (bundles carry UTF-8 comments).
    """
    if not data.strip():
        raise CAFileError("%s is empty" % source, incomplete=True)
    # b"\x30" is also the text "0": a PEM file whose first line starts with "0" is not DER.
    if data[:1] == b"\x30" and BEGIN.encode("ascii") not in data:
        raise CAFileError("%s looks like a DER certificate; a PEM file is expected" % source)
    text = data.decode("latin-1")  # one character per byte: non-ASCII only ever sits outside blocks
    has_private_key = "PRIVATE KEY-----" in text
    der_certificates = []
    positions = []  # block position of each of der_certificates
    rejected = []
    truncated = False
    count = 0
    position = 0
    while True:
        begin = text.find(BEGIN, position)
        if begin < 0:
            break
        end = text.find(END, begin)
        if end < 0:
            truncated = True  # still being written, or cut short: the blocks before it stand
            break
        inner = text.rfind(BEGIN, begin + len(BEGIN), end)
        if inner >= 0:  # BEGIN lines without their END: those blocks are broken, the last is not
            count += 1
            rejected.append((count, None, "no END line"))
            begin = inner
        count += 1
        der = _decode_certificate(text[begin + len(BEGIN) : end])
        if der is None:
            rejected.append((count, None, "not a DER certificate"))
        elif der not in der_certificates:
            der_certificates.append(der)
            positions.append(count)
        position = end + len(END)
    if check and der_certificates:
        checked = CACertificates(der_certificates, has_private_key, rejected, truncated, positions).checked()
        der_certificates, rejected, positions = list(checked.der), list(checked.rejected), checked.positions
    if not der_certificates:
        if truncated:
            raise CAFileError("%s is truncated: a certificate has no END line" % source, incomplete=True)
        if rejected:
            raise CAFileError(
                "%s holds no certificate OpenSSL can load (#%d: %s)"
                % (source, rejected[0][0], rejected[0][2])
            )
        if BEGIN.startswith(text.strip()):  # the writer has not finished the first line yet
            raise CAFileError("%s is truncated inside its first line" % source, incomplete=True)
        if has_private_key:
            raise CAFileError("%s holds a private key and no certificate" % source, key_only=True)
        if not data.isascii():
            raise CAFileError("%s is not PEM text (binary data)" % source)
        raise CAFileError("%s contains no PEM certificate" % source)
    return CACertificates(der_certificates, has_private_key, rejected, truncated, positions, checked=check)


def openssl_rejects(der_certificates):
    """``{index: OpenSSL's reason}`` for each DER certificate that OpenSSL cannot load.

    Each is loaded into a scratch context, as every client will load it. ``_ssl`` (the C module)
    rather than ``ssl``: the cold start path may get here, where ``import ssl`` is not paid.
    """
    import _ssl

    scratch = _ssl._SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    rejects = {}
    for index, der in enumerate(der_certificates):
        try:
            scratch.load_verify_locations(None, None, der)
        except (_ssl.SSLError, ValueError) as exc:
            rejects[index] = str(exc).split(" (_ssl.c:")[0] or type(exc).__name__
    return rejects


def _decode_certificate(body):
    """DER bytes of one PEM body, or None when it is not a well-formed DER sequence."""
    compact = "".join(body.split())
    try:
        der = binascii.a2b_base64(compact)
    except ValueError:  # binascii.Error, or a non-ASCII character
        return None
    if binascii.b2a_base64(der, newline=False).decode("ascii") != compact:
        return None  # stray characters that a2b_base64 skipped: not a clean certificate
    return der if _is_der_sequence(der) else None


def _is_der_sequence(der):
    """True when ``der`` is exactly one DER SEQUENCE (an X.509 certificate's outer shape)."""
    try:
        tag, _start, end = _der.element(der, 0, len(der))
    except _der.DERError:
        return False
    return tag == 0x30 and end == len(der)


def read(path, check=False):
    """The certificates of the CA file at ``path``; raises CAFileError with one sentence."""
    if not os.path.isabs(path):  # after a chdir it would name another file
        raise CAFileError("CA path %s is not absolute (SANDBOX_CA_CERT must be)" % path)
    return parse_pem(read_ca_file(path), source="CA file %s" % path, check=check)
