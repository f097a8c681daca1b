import sys

from sandbox_trust.cli import main

sys.exit(main())
