"""A probe of tests/probes.py after a set-up step: ``python probe_after.py SETUP CLIENT URL [CA]``.

SETUP names what the app did first:
- ``grpc-reverted``: the grpc patch reverted, so only the C core's read of
  GRPC_DEFAULT_SSL_ROOTS_FILE_PATH can trust the CA;
- ``grpc-own-roots``: every ``grpc.ssl_channel_credentials()`` call passes the app's own
  ``root_certificates`` (the PEM file ``CA``).
Prints the probe's JSON line.
"""

import runpy
import sys

import checks


def grpc_reverted():
    import grpc  # noqa: F401 - patched on import, then reverted

    from sandbox_trust import patches

    patches.revert("grpc_credentials")


def grpc_own_roots(ca_path):
    import grpc

    credentials = grpc.ssl_channel_credentials
    with open(ca_path, "rb") as f:
        roots = f.read()
    grpc.ssl_channel_credentials = lambda: credentials(roots)


def main():
    setup, client, url, *rest = sys.argv[1:]
    {"grpc-reverted": grpc_reverted, "grpc-own-roots": grpc_own_roots}[setup](*rest)
    sys.argv = [checks.probes.__file__, client, url]
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
