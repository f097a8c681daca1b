"""Threads race for the first context while the CA lands: ``python race_late_ca.py URL SOURCE TARGET``.

Run with ``SANDBOX_INTERCEPT_HTTPS=1`` and ``SANDBOX_CA_CERT=TARGET`` (absent at start): eight
threads make contexts or requests at once; the CA (``SOURCE``) is copied to ``TARGET`` 300 ms after
the first of them found it missing. Reports every outcome, how often the CA file was read absent and
parsed, and when contexts were ready relative to the landing. Prints one JSON line.
"""

import json
import os
import ssl
import sys
import threading
import time
import urllib.request

import checks

from sandbox_trust import _cafile

THREADS = 8


class Race:
    def __init__(self, url, source, target):
        self.url, self.source, self.target = url, source, target
        self.reads = []  # (time, outcome) of every attempt to read the CA file
        self.parses = []
        self.waiting = threading.Event()  # someone looked for the CA and it was not there yet
        self.barrier = threading.Barrier(THREADS + 1)
        self.results = [None] * THREADS
        self.ready = []  # when each thread's context held its roots
        self.landed = []
        original_read, original_parse = _cafile.read_ca_file, _cafile.parse_pem

        def logged_read(path):
            try:
                data = original_read(path)
            except _cafile.CAFileError:
                self.reads.append((time.monotonic(), "absent"))
                self.waiting.set()
                raise
            self.reads.append((time.monotonic(), "read"))
            return data

        def counting_parse(data, source="CA file", **options):
            if source.startswith("CA file"):  # the CA's; a hashed directory of the roots parses its base too
                self.parses.append(time.monotonic())
            return original_parse(data, source, **options)

        _cafile.read_ca_file, _cafile.parse_pem = logged_read, counting_parse

    def land(self):
        # 300 ms after the first thread started waiting (loading the system roots 8 times under the GIL
        # takes a while on a busy machine: a fixed delay from start could land before anyone waits).
        while not self.waiting.is_set() and None in self.results:  # opted out: nobody ever waits
            time.sleep(0.005)
        time.sleep(0.3)
        with open(self.source, "rb") as f:
            data = f.read()
        with open(self.target + ".partial", "wb") as f:
            f.write(data)
        os.replace(self.target + ".partial", self.target)  # the runtime's copy appears whole
        self.landed.append(time.monotonic())

    def racer(self, index):
        self.barrier.wait()

        def request():
            if index % 2:
                urllib.request.urlopen(self.url, timeout=20).read()
            else:
                context = ssl.create_default_context()
                self.ready.append(time.monotonic())
                checks.probes._handshake(context, self.url)

        self.results[index] = checks.outcome(request)

    def run(self):
        threads = [threading.Thread(target=self.racer, args=(i,)) for i in range(THREADS)]
        threads.append(threading.Thread(target=self.land))
        for thread in threads:
            thread.start()
        self.barrier.wait()
        for thread in threads:
            thread.join()
        landing = self.landed[0]
        return {
            "outcomes": self.results,
            "parses": len(self.parses),
            "absent_reads": sum(1 for _, outcome in self.reads if outcome == "absent"),
            "parse_lag": self.parses[0] - landing if self.parses else None,
            "ready_lag": [t - landing for t in self.ready],
        }


def main():
    print(json.dumps(Race(*sys.argv[1:4]).run()))


if __name__ == "__main__":
    main()
