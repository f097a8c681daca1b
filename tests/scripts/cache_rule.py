"""Which cache directory the start-time fast path and ``sandbox_trust._cache`` choose: one JSON line.

Run opted out (nothing patched or exported): ``warm`` is what ``boot.open_cache_dir`` found
(directory, exists) and whether it needed the cold path; ``rule`` is ``_cache.report()``.
"""

import json
import os
import sys

import _sandbox_trust_boot as boot


def main():
    directory, fd = boot.open_cache_dir()
    if fd is not None:
        os.close(fd)
    cold = "sandbox_trust._cache" in sys.modules
    from sandbox_trust import _cache

    print(json.dumps({"warm": [directory, fd is not None], "cold": cold, "rule": _cache.report()}))


if __name__ == "__main__":
    main()
