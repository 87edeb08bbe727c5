"""`python -m netra_devtools.migrate [--revision R] [--downgrade]`."""

import sys

from netra_devtools.migrate.cli import main

sys.exit(main())
