"""Sixteen threads import ssl and make their first contexts while a declared CA lands.

``python thread_stampede.py URL SOURCE TARGET``, with ``SANDBOX_INTERCEPT_HTTPS=1`` and
``SANDBOX_CA_CERT=TARGET`` (absent at start). Nothing has imported ssl when the threads are let go
together: they import the patch targets (ssl, certifi, requests.sessions) at once, through the
import hook, then connect to URL, four ways in turn: ``ssl.create_default_context()`` (the system
roots), the same with ``cafile=certifi.where()``, urllib.request and requests. The CA (SOURCE) lands
whole at TARGET 200 ms after the first thread found it missing. On a free-threaded build the
threads run in parallel; on others they interleave at the GIL's switch interval.

Prints one JSON line: every outcome, how often the CA was parsed, per loaded patch module whether
its patch is applied over the real originals (a patch applied twice would save itself as the
original), what start-up exported once the CA landed, and whether the GIL was enabled.
"""

import json
import os
import sys
import threading
import time

from sandbox_trust import _cafile
from sandbox_trust.patches import Patch

THREADS = 16
WAYS = ("default_context", "certifi_context", "urllib", "requests")


class Stampede:
    def __init__(self, url, source, target):
        self.url, self.source, self.target = url, source, target
        self.ssl_preloaded = "ssl" in sys.modules  # must be False: the threads import it
        self.waiting = threading.Event()  # a thread looked for the CA and it was not there yet
        self.barrier = threading.Barrier(THREADS + 1)
        self.results = [None] * THREADS
        self.parses = []
        original_read, original_parse = _cafile.read_ca_file, _cafile.parse_pem

        def logged_read(path):
            try:
                return original_read(path)
            except _cafile.CAFileError:
                self.waiting.set()
                raise

        def counting_parse(data, source="CA file", **options):
            if source.startswith("CA file"):  # the CA's; a hashed directory's base is parsed too
                self.parses.append(time.monotonic())
            return original_parse(data, source, **options)

        _cafile.read_ca_file, _cafile.parse_pem = logged_read, counting_parse

    def land(self):
        deadline = time.monotonic() + 30
        while not self.waiting.is_set() and None in self.results and time.monotonic() < deadline:
            time.sleep(0.005)  # opted out or an unrelated failure: nobody may ever wait
        time.sleep(0.2)
        with open(self.source, "rb") as f:
            data = f.read()
        with open(self.target + ".partial", "wb") as f:
            f.write(data)
        os.replace(self.target + ".partial", self.target)

    def racer(self, index):
        self.barrier.wait()
        try:
            import checks  # imports tests/probes.py, which imports ssl: in every thread at once

            self.results[index] = checks.outcome(lambda: self.connect(WAYS[index % len(WAYS)]))
        except BaseException as exc:  # noqa: BLE001 - reported, the test names it
            self.results[index] = "error: %s: %s" % (type(exc).__name__, exc)

    def connect(self, way):
        import ssl

        import checks

        if way == "default_context":
            checks.probes._handshake(ssl.create_default_context(), self.url)
        elif way == "certifi_context":
            import certifi

            checks.probes._handshake(ssl.create_default_context(cafile=certifi.where()), self.url)
        elif way == "urllib":
            import urllib.request

            urllib.request.urlopen(self.url, timeout=20).read()
        else:
            import requests

            requests.get(self.url, timeout=20).raise_for_status()

    def run(self):
        threads = [threading.Thread(target=self.racer, args=(i,)) for i in range(THREADS)]
        threads.append(threading.Thread(target=self.land))
        for thread in threads:
            thread.start()
        self.barrier.wait()
        for thread in threads:
            thread.join()
        return {
            "outcomes": self.results,
            "parses": len(self.parses),
            "ssl_preloaded": self.ssl_preloaded,
            "patches": patch_states(),
            "exported_ssl_cert_file": bool(os.environ.get("SSL_CERT_FILE")),
            "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)(),
        }


def patch_states():
    """``{patch module: applied over the real originals}`` for each ``Patch`` this process loaded."""
    states = {}
    for name, module in sorted(sys.modules.items()):
        patch = getattr(module, "PATCH", None)
        if not name.startswith("sandbox_trust.patches.") or not isinstance(patch, Patch):
            continue  # posixsubprocess_start: the child hook, not an attribute table
        replacements = {new for _owner, _name, new in patch.replacements}
        states[name.rpartition(".")[2]] = patch.is_applied() and not any(
            original in replacements for original in patch.original.values()
        )
    return states


def main():
    print(json.dumps(Stampede(*sys.argv[1:4]).run()))


if __name__ == "__main__":
    main()
