"""sandbox-trust: make every Python process trust the sandbox's HTTPS-interception CA.

Importing this package does nothing but quiet the one stderr line in the CLI's own process;
``sandbox_trust.pth`` and ``_sandbox_trust_boot`` do the work at interpreter start. See
``python -m sandbox_trust --help``.
"""

import sys as _sys

import _sandbox_trust_boot as _boot

__version__ = "0.1.0"

# The sandbox-trust command's own process (console script or -m) reports what it finds itself:
# status as problems, wait and env in their one line. So the package's warnings in that process,
# the cold start's included (they import this first), stay debug lines instead of a second copy.
_argv = _sys.orig_argv
if _argv[1:2] and _argv[1].rpartition("/")[2] == "sandbox-trust" or _argv[1:3] == ["-m", "sandbox_trust"]:
    _boot._warned = True
