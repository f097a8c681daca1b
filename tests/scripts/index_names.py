"""The cache index names the boot module looks up for a CA: ``python index_names.py CA_PATH``.

Run opted out (nothing patched or exported). Prints ``[[base, index name], ...]`` for the default
roots, no base (the CA alone) and certifi's bundle, as JSON.
"""

import json
import os
import sys
from importlib.util import find_spec

import _sandbox_trust_boot as boot
from sandbox_trust import _bundles


def main():
    signature = boot.file_signature(sys.argv[1])
    certifi_pem = os.path.join(find_spec("certifi").submodule_search_locations[0], "cacert.pem")
    bases = (_bundles.default_roots_file(), None, certifi_pem)
    print(json.dumps({"indexes": [[base, boot.index_name(base, signature)] for base in bases]}))


if __name__ == "__main__":
    main()
