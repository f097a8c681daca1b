"""``install --java`` / ``uninstall --java``: a truststore for Java children (being written)."""

import sys


def main(install_it, certificates=None):
    sys.stderr.write("sandbox-trust: --java is not available in this build yet\n")
    return 1
