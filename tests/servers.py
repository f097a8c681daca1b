"""Local TLS origins for tests: a throwaway CA (trustme), a leaf it signs, a threaded server.

The server answers any GET with ``200 ok`` and completes a WebSocket upgrade, so one origin
serves every client; what a test observes is whether the client's TLS handshake verified.
"""

import base64
import hashlib
import http.server
import os
import ssl
import threading

import trustme

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        key = self.headers.get("Sec-WebSocket-Key")
        if key:
            accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.close_connection = True
            return
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TLSServer(http.server.ThreadingHTTPServer):
    """A threaded HTTPS server: ``handler`` (default: ``200 ok`` and WebSocket upgrades) behind TLS."""

    daemon_threads = True

    def __init__(self, address, context, handler=_Handler):
        self.context = context
        super().__init__(address, handler)

    def get_request(self):
        sock, address = super().get_request()
        sock.settimeout(10)
        try:
            return self.context.wrap_socket(sock, server_side=True), address
        except (ssl.SSLError, OSError):
            sock.close()  # the client rejected us: expected in negative tests
            raise

    def handle_error(self, request, client_address):
        pass


class ServedOrigin:
    """A ``TLSServer`` on a loopback port, served by a thread while in ``with``: the origins' base."""

    def _serve(self, context, hostname="localhost"):
        self._server = TLSServer(("127.0.0.1", 0), context)
        self.port = self._server.server_address[1]
        self.url = "https://%s:%d/" % (hostname, self.port)

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


class Origin(ServedOrigin):
    """``with Origin(directory) as origin``: ``origin.url``, ``origin.ca_path`` (PEM of its CA)."""

    def __init__(self, directory, hostname="localhost"):
        self.directory = str(directory)
        self.ca = trustme.CA()
        self.ca_path = os.path.join(self.directory, "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_path)
        leaf = self.ca.issue_cert(hostname, "127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(context)
        self._serve(context, hostname)
