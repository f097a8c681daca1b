"""Shared by the scripts here: classify each call exactly as tests/probes.py does.

Scripts run by path (``python tests/scripts/NAME.py``), so this directory is on ``sys.path``;
tests/probes.py is put there too.
"""

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import probes  # noqa: E402 - tests/ is on sys.path only from the line above


def outcome(call):
    """``"trusted"``, ``"rejected"`` (the certificate did not verify) or ``"error: ..."``."""
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - every failure is classified and reported
        found = probes._outcome(exc)
        return found if found == "rejected" else "error: %s: %s" % (type(exc).__name__, exc)
    return "trusted"


def probe_outcome(name, url):
    """The outcome of the probe ``name`` of tests/probes.py against ``url``."""
    return outcome(lambda: probes.PROBES[name](url))


class Report(dict):
    """``{check name: outcome or fact}``, printed as the script's one JSON line."""

    def check(self, name, call):
        self[name] = outcome(call)

    def probe(self, name, url):
        """The probe ``name`` of tests/probes.py against ``url``."""
        self[name] = probe_outcome(name, url)

    def emit(self):
        print(json.dumps(self))


def handshake(context, url):
    return lambda: probes._handshake(context, url)


def aiohttp_get(url, context=None):
    """A GET with aiohttp, with its default TLS settings or ``ssl=context``."""
    import aiohttp

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get(url, **({} if context is None else {"ssl": context})) as response:
                response.raise_for_status()

    return lambda: asyncio.run(main())
