"""Run by compare.py in a suite's venv: is sandbox-trust active here, and what does it export?

Prints one JSON object: ``boot`` (the start-time module ran), ``process`` (this interpreter's
``os.environ`` once ``site`` ran) and ``child`` (what a non-Python child started from here gets).
"""

import json
import os
import subprocess
import sys


def main():
    child = subprocess.run(["env", "-0"], capture_output=True, check=True).stdout.decode()
    print(
        json.dumps(
            {
                "boot": "_sandbox_trust_boot" in sys.modules,
                "process": dict(os.environ),
                "child": dict(item.split("=", 1) for item in child.split("\0") if "=" in item),
            }
        )
    )


if __name__ == "__main__":
    main()
