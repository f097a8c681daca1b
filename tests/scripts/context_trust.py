"""Each context as an application builds it: ``python context_trust.py CA_PATH``.

Server-side contexts (Purpose.CLIENT_AUTH, PROTOCOL_TLS_SERVER, role-less PROTOCOL_TLS used for servers or not yet used)
and client ones; reports for each whether the CA's DER is among its CA certificates, and its
cert store statistics, as one JSON line.
"""

import json
import ssl
import sys


def default_server():
    return ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)


def default_server_verifying():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return context


def tls_server():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return context


def tls_server_default_paths():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_default_verify_paths()
    return context


def legacy_server():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return context


def tls_server_certifi():
    import certifi

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_verify_locations(certifi.where())
    return context


def default_client():
    return ssl.create_default_context()


def tls_client():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs()
    return context


def legacy_server_default_certs():
    """Role-less, the roots of a client (the default purpose), then wrapped as a server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.load_default_certs()
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=True)
    return context


def legacy_unwrapped():
    """Role-less with default roots, not wrapped yet: no role, so no CA yet (as a server)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.set_default_verify_paths()
    return context


def legacy_client():
    """Role-less (urllib3 1.x): the CA comes with its first client-side wrap."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS)
    context.load_default_certs()
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    return context


CONTEXTS = (
    default_server,
    default_server_verifying,
    tls_server,
    tls_server_default_paths,
    legacy_server,
    tls_server_certifi,
    legacy_server_default_certs,
    legacy_unwrapped,
    default_client,
    tls_client,
    legacy_client,
)


def main():
    with open(sys.argv[1]) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    result = {}
    for make in CONTEXTS:
        context = make()
        result[make.__name__] = {
            "has_ca": der in context.get_ca_certs(binary_form=True),
            "stats": context.cert_store_stats(),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
