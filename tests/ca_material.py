"""CA material shared by test modules: CA defect cases, an origin minted by the openssl command,
a dated CA minted with cryptography (tests/test_cli.py, test_cli_health.py, test_cli_signals.py)."""

import os
import shutil
import socket
import ssl
import subprocess

from tests import servers

OPENSSL = shutil.which("openssl")

GOOD = (
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
)
# name -> (CA extensions, the issues status must report: (extension, problem, strict only))
CASES = {
    "good": (GOOD, []),
    "no-key-usage": (
        ("basicConstraints=critical,CA:TRUE", "subjectKeyIdentifier=hash"),
        [("keyUsage", "missing", True)],
    ),
    "basic-constraints-not-critical": (
        ("basicConstraints=CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"),
        [("basicConstraints", "not marked critical", True)],
    ),
    "path-length-without-key-usage": (
        ("basicConstraints=critical,CA:TRUE,pathlen:0", "subjectKeyIdentifier=hash"),
        [("keyUsage", "missing", True)],
    ),
    "no-basic-constraints": (
        ("keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"),
        [("basicConstraints", "missing", True)],
    ),
    "no-subject-key-identifier": (
        (
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=none",
        ),
        [("subjectKeyIdentifier", "missing", True)],
    ),
    "ca-false": (
        (
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=hash",
        ),
        [("basicConstraints", "says cA=FALSE", False)],
    ),
    "key-usage-without-cert-sign": (
        (
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,digitalSignature",
            "subjectKeyIdentifier=hash",
        ),
        [("keyUsage", "does not allow keyCertSign", False)],
    ),
}


def openssl(directory, arguments):
    """``openssl ARGUMENTS`` (space-separated) in ``directory``."""
    subprocess.run(
        [OPENSSL, *arguments.split()],
        cwd=directory,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def openssl_field(path, *args):
    return subprocess.run(
        [OPENSSL, "x509", "-in", path, "-noout", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


class MintedOrigin(servers.ServedOrigin):
    """A CA minted by the ``openssl`` command with exactly ``extensions``, a leaf it signs, a server."""

    def __init__(self, directory, name, extensions):
        self.directory = str(directory)
        self.ca_path = os.path.join(self.directory, name + ".pem")
        with open(os.path.join(self.directory, name + ".cnf"), "w") as f:
            f.write(
                "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n"
                "[dn]\nCN = %s CA\nO = sandbox-trust tests\n[ext]\n%s\n" % (name, "\n".join(extensions))
            )
        ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        openssl(
            self.directory,
            "req -x509 -config {0}.cnf {1} -keyout {0}.key -out {0}.pem -days 2".format(name, ec),
        )
        # A strict verifier wants the leaf's AKI key id; with no SKI to copy, give it one (OpenSSL
        # then matches by name), so the CA's own defect is what a strict handshake reports.
        aki = (
            "keyid,issuer"
            if "subjectKeyIdentifier=hash" in extensions
            else "DER:30:16:80:14:" + ":".join(["ab"] * 20)
        )
        with open(os.path.join(self.directory, name + ".leaf.ext"), "w") as f:
            f.write(
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=%s\n" % aki
            )
        openssl(
            self.directory,
            "req -new {1} -keyout {0}.leaf.key -out {0}.csr -subj /CN=localhost".format(name, ec),
        )
        openssl(
            self.directory,
            "x509 -req -in {0}.csr -CA {0}.pem -CAkey {0}.key -set_serial 4660 -days 1 -extfile {0}.leaf.ext "
            "-out {0}.leaf.pem".format(name),
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(
            os.path.join(self.directory, name + ".leaf.pem"), os.path.join(self.directory, name + ".leaf.key")
        )
        self._serve(context)

    def handshake(self, strict):
        """``None`` when a client trusting only this CA verifies the server, else OpenSSL's reason."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=self.ca_path)
        if strict:
            context.verify_flags |= ssl.VERIFY_X509_STRICT
        else:
            context.verify_flags &= ~ssl.VERIFY_X509_STRICT
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                with context.wrap_socket(sock, server_hostname="localhost"):
                    return None
        except ssl.SSLCertVerificationError as exc:
            return exc.verify_message


def mint_with_cryptography(path, not_before, not_after, common_name="dated CA"):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'T, "quoted" + co'),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return name.rfc4514_string()
