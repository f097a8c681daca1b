"""design.md, known trap 2: ``python truststore_trap2.py URL [aiohttp-after-injection]``.

aiohttp imported, then a context made, then the class swapped by truststore: the context passes
aiohttp's argument check (class bound at import) but fails its isinstance at request time. With
``aiohttp-after-injection`` the other order: aiohttp's argument check sees the swapped class.
"""

import ssl
import sys

import checks


def main():
    url = sys.argv[1]
    aiohttp_after = sys.argv[2:] == ["aiohttp-after-injection"]
    if not aiohttp_after:
        import aiohttp  # noqa: F401 - binds ssl.SSLContext before the swap
    before = ssl.create_default_context()
    import truststore

    truststore.inject_into_ssl()
    if aiohttp_after:
        import aiohttp  # noqa: F401
    report = checks.Report()
    report.check("aiohttp_ssl_before", checks.aiohttp_get(url, before))
    report.emit()


if __name__ == "__main__":
    main()
