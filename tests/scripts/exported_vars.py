"""The CA variables this process has in ``os.environ`` after start: ``python exported_vars.py``.

Prints ``{"replace": the boot module's REPLACE_VARIABLES, "env": {variable: value or null}}``.
"""

import json
import os

import _sandbox_trust_boot as boot


def main():
    names = boot.REPLACE_VARIABLES + boot.EXTEND_ONLY_VARIABLES + boot.ADD_VARIABLES
    print(
        json.dumps({"replace": boot.REPLACE_VARIABLES, "env": {name: os.environ.get(name) for name in names}})
    )


if __name__ == "__main__":
    main()
