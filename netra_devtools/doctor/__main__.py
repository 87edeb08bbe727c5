"""`python -m netra_devtools.doctor [--fix] [--json] ...`."""

import sys

from netra_devtools.doctor.cli import main

sys.exit(main())
