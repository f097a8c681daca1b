"""sandbox-trust: make every Python process trust the sandbox's HTTPS-interception CA.

Importing this package does nothing; ``sandbox_trust.pth`` and ``_sandbox_trust_boot`` do the
work at interpreter start. See ``python -m sandbox_trust --help``.
"""

__version__ = "0.1.0"
