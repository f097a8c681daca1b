"""pyOpenSSL in both roles: ``pyopenssl_roles.py client URL`` or ``... server SERVER_PEM CLIENT_PEM CLIENT_CA``.

client: a ``TLS_CLIENT_METHOD`` context with ``set_default_verify_paths()`` and ``VERIFY_PEER``
connects to URL's host and port. server: a role-less ``TLS_METHOD`` context that verifies clients
(``VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT``) with ``set_default_verify_paths()`` serves one
handshake on 127.0.0.1 to a stdlib client presenting CLIENT_PEM (which trusts the server's CA,
CLIENT_CA); the outcome is the server's: did it accept that client certificate. One JSON line.
"""

import json
import socket
import ssl
import sys
import threading
import urllib.parse

from OpenSSL import SSL


def verified(connection, certificate, errno, depth, ok):
    return bool(ok)  # OpenSSL's verdict, as is


def client(url):
    parsed = urllib.parse.urlsplit(url)
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_PEER, verified)
    context.set_default_verify_paths()
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        sock.setblocking(True)  # see server()
        connection = SSL.Connection(context, sock)
        connection.set_tlsext_host_name(parsed.hostname.encode())
        connection.set_connect_state()
        try:
            connection.do_handshake()
        except SSL.Error as exc:
            return "rejected" if "certificate verify failed" in repr(exc) else "error: %r" % (exc,)
    return "trusted"


def server(server_pem, client_pem, client_ca):
    context = SSL.Context(SSL.TLS_METHOD)
    context.use_certificate_chain_file(server_pem)
    context.use_privatekey_file(server_pem)
    context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, verified)
    context.set_default_verify_paths()
    listener = socket.create_server(("127.0.0.1", 0))
    result = {}

    def serve():
        sock, _ = listener.accept()
        sock.setblocking(True)  # pyOpenSSL on a socket with a timeout (non-blocking underneath) wants reads
        connection = SSL.Connection(context, sock)
        connection.set_accept_state()
        try:
            connection.do_handshake()
            result["outcome"] = "accepted"
        except SSL.Error as exc:
            result["outcome"] = "refused" if "certificate" in repr(exc) else "error: %r" % (exc,)
        sock.close()

    thread = threading.Thread(target=serve)
    thread.start()
    stdlib = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    stdlib.check_hostname = False
    stdlib.load_verify_locations(client_ca)
    stdlib.load_cert_chain(client_pem)
    try:
        with socket.create_connection(listener.getsockname(), timeout=10) as sock:
            with stdlib.wrap_socket(sock) as tls:
                tls.recv(1)  # TLS 1.3: the server's verdict on our certificate arrives after the handshake
    except OSError:
        pass
    thread.join()
    return result["outcome"]


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    outcome = client(*args) if mode == "client" else server(*args)
    print(json.dumps({"outcome": outcome}))


if __name__ == "__main__":
    main()
