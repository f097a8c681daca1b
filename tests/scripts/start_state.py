"""How this interpreter started sandbox-trust: ``python start_state.py``; one JSON line.

``booted``: the boot module ran ``boot()``; ``finders``: sandbox-trust finders on ``sys.meta_path``
(one, however often site ran our files); ``exported``: SSL_CERT_FILE at start; ``pkgutil``: whether
site imported pkgutil (Python 3.15 does, to resolve any ``.start`` entry point); ``gate`` and
``boot_module``: whether the start-up gate and the boot module were imported.
"""

import json
import os
import sys


def main():
    boot = sys.modules.get("_sandbox_trust_boot")
    report = {
        "booted": bool(boot and boot._booted),
        "finders": sum(bool(getattr(f, "is_sandbox_trust_finder", False)) for f in sys.meta_path),
        "exported": os.environ.get("SSL_CERT_FILE"),
        "pkgutil": "pkgutil" in sys.modules,
        "gate": "_sandbox_trust_gate" in sys.modules,
        "boot_module": boot is not None,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
