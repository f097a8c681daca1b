"""Make a venv the way a user would, from a process with sandbox-trust active.

``python create_venv.py venv|virtualenv|uv PATH``: the tool runs on the interpreter behind this
venv (what a user's "python" would be).
"""

import os
import subprocess
import sys


def main():
    kind, path = sys.argv[1:3]
    base = sys._base_executable
    commands = {
        "venv": [base, "-m", "venv", path],
        "virtualenv": [sys.executable, "-m", "virtualenv", "--no-periodic-update", "--python", base, path],
        "uv": [
            os.path.join(os.path.dirname(sys.executable), "uv"),
            "venv",
            "--no-cache",
            "--python",
            base,
            path,
        ],
    }
    subprocess.run(commands[kind], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
