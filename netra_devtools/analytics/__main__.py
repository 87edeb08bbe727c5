"""`python -m netra_devtools.analytics spool|check ...`."""

import sys

from netra_devtools.analytics.cli import main

sys.exit(main())
