"""CAs minted with chosen encoding defects (``cryptography``; trustme only makes compliant ones).

``mint_ca(...)`` makes a self-signed CA with exactly the extensions asked for; ``FlawedOrigin``
serves a leaf it signed behind a local TLS server (``tests.servers.TLSServer``), optionally with
the CA in the chain the server sends.
"""

import datetime
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests import servers

ONE_DAY = datetime.timedelta(days=1)

# The defects sandbox-trust mends, one each and together, and those it must leave alone.
REPAIRABLE = {
    "bc-not-critical": {"bc_critical": False},
    "no-key-usage": {"key_usage": None},
    "both": {"bc_critical": False, "key_usage": None},
    "both-path-length": {"bc_critical": False, "key_usage": None, "path_length": 0},
}
NOT_REPAIRABLE = {
    "no-basic-constraints": {"bc": False},
    "ca-false": {"ca": False, "bc_critical": False, "key_usage": None},
    "key-usage-without-cert-sign": {"bc_critical": False, "key_usage": ("digital_signature",)},
    "no-ski": {"bc_critical": False, "key_usage": None, "ski": False},
}
KEY_USAGE_CA = ("key_cert_sign", "crl_sign")
KEY_USAGE_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def key_usage_extension(usages):
    fields = {name: name in usages for name in KEY_USAGE_FIELDS}
    if not fields["key_agreement"]:
        fields["encipher_only"] = fields["decipher_only"] = False
    return x509.KeyUsage(**fields)


def mint_ca(
    common_name,
    bc=True,
    ca=True,
    bc_critical=True,
    path_length=None,
    key_usage=KEY_USAGE_CA,
    key_usage_critical=True,
    ski=True,
    name_constraints=None,
    extra=(),
    key=None,
    issuer=None,
):
    """``(certificate, key)``: a self-signed CA with exactly the extensions asked for.

    ``key_usage``: a tuple of KeyUsage field names, or None for none.
    ``extra``: more ``(extension, critical)`` pairs, in order. ``issuer``: ``(certificate, key)``
    of the CA that signs this one (an intermediate), else it signs itself.
    """
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sandbox-trust tests"),
        ]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if issuer is None else issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - ONE_DAY)
        .not_valid_after(now + 2 * ONE_DAY)
    )
    if bc:
        builder = builder.add_extension(x509.BasicConstraints(ca, path_length if ca else None), bc_critical)
    if key_usage is not None:
        builder = builder.add_extension(key_usage_extension(key_usage), key_usage_critical)
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if name_constraints is not None:
        builder = builder.add_extension(name_constraints, True)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[0].public_key()), False
        )
    for extension, critical in extra:
        builder = builder.add_extension(extension, critical)
    return builder.sign(key if issuer is None else issuer[1], hashes.SHA256()), key


def issue_leaf(ca, ca_key, hostname="localhost", aki=True, ca_extensions=False):
    """``(certificate, key)`` of a server certificate for ``hostname`` and 127.0.0.1 signed by ``ca``."""
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - ONE_DAY)
        .not_valid_after(now + ONE_DAY)
        .add_extension(x509.BasicConstraints(ca=ca_extensions, path_length=None), True)
        .add_extension(key_usage_extension(("digital_signature",)), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if aki:  # RFC 5280 method 1 of the CA's key: what the CA's SKI is, when it has one
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), False
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def pem(*certificates):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


class FlawedOrigin(servers.ServedOrigin):
    """A local HTTPS origin whose leaf ``ca`` signed: ``url``, ``ca_path`` (PEM of the CA alone).

    ``send_ca``: the server sends the CA after its leaf, as some interceptors do; ``intermediates``:
    certificates it sends between them (the leaf is then signed by ``ca_key`` of the first).
    """

    def __init__(
        self, directory, ca, ca_key, leaf_aki=True, send_ca=False, intermediates=(), hostname="localhost"
    ):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.ca = ca
        self.ca_path = os.path.join(self.directory, "ca.pem")
        with open(self.ca_path, "wb") as f:
            f.write(pem(ca))
        signer = intermediates[0] if intermediates else ca
        leaf, key = issue_leaf(signer, ca_key, hostname, aki=leaf_aki)
        chain = os.path.join(self.directory, "chain.pem")
        key_path = os.path.join(self.directory, "leaf.key")
        with open(chain, "wb") as f:
            f.write(pem(leaf, *intermediates, *((ca,) if send_ca else ())))
        with open(key_path, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_path)
        self._serve(context, hostname)
