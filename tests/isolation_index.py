"""A tiny PEP 503 index on a local TLS origin: one project, one wheel, for real ``pip download`` runs."""

import hashlib
import http.server
import io
import os
import zipfile

from tests import servers

PROJECT, VERSION = "sandbox-trust-isolation-probe", "0.1"
_DIST = PROJECT.replace("-", "_")
WHEEL = "%s-%s-py3-none-any.whl" % (_DIST, VERSION)


def build_wheel():
    """A minimal valid wheel (metadata, one module, RECORD), as bytes."""
    info = "%s-%s.dist-info" % (_DIST, VERSION)
    files = {
        _DIST + ".py": "",
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (PROJECT, VERSION),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[info + "/RECORD"] = "".join("%s,,\n" % name for name in files) + info + "/RECORD,,\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


class _IndexHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wheel = build_wheel()

    def do_GET(self):
        digest = hashlib.sha256(self.wheel).hexdigest()
        pages = {
            "/simple/": ('<a href="/simple/%s/">%s</a>' % (PROJECT, PROJECT)).encode(),
            "/simple/%s/" % PROJECT: (
                '<a href="/files/%s#sha256=%s">%s</a>' % (WHEEL, digest, WHEEL)
            ).encode(),
            "/files/" + WHEEL: self.wheel,
        }
        body = pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        kind = "application/octet-stream" if self.path.endswith(".whl") else "text/html"
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class IndexOrigin(servers.Origin):
    """``servers.Origin`` serving the index: ``index_url``; its CA stands for the user's own CA."""

    def __init__(self, directory):
        super().__init__(directory)
        self._server.RequestHandlerClass = _IndexHandler
        self.index_url = self.url + "simple/"


def downloaded(directory):
    return os.path.exists(os.path.join(directory, WHEEL))
