"""A .pth processed twice installs one finder and one patch: ``python pth_twice.py SECOND_PTH``.

Run in a venv whose site-packages holds a copy of sandbox_trust.pth (``SECOND_PTH``), with the CA
in ``SANDBOX_CA_CERT``. Then the line runs again with the gate and the boot module gone from
``sys.modules``, so a second *copy* of both starts (another install's .pth, as if its module names
were not already taken): still one finder, one patch. Prints one JSON line.
"""

import json
import os
import ssl
import sys

from sandbox_trust.patches import ssl_context


def finders():
    return sum(bool(getattr(finder, "is_sandbox_trust_finder", False)) for finder in sys.meta_path)


def main():
    report = {"finders": finders(), "patched": ssl_context.PATCH.is_applied()}
    del sys.modules["_sandbox_trust_boot"], sys.modules["_sandbox_trust_gate"]
    # As at a start: the package not imported yet, so importing the copy boots it.
    package = sys.modules.pop("sandbox_trust")
    try:
        with open(sys.argv[1]) as f:
            exec(f.read())
    finally:
        sys.modules["sandbox_trust"] = package
    report["copy_booted"] = sys.modules["_sandbox_trust_boot"]._booted
    report["finders_after_copy"] = finders()
    report["patched_after_copy"] = ssl_context.PATCH.is_applied()
    with open(os.environ["SANDBOX_CA_CERT"]) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    report["has_ca"] = der in ssl.create_default_context().get_ca_certs(binary_form=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
