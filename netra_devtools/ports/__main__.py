"""`python -m netra_devtools.ports check|fix ...`."""

import sys

from netra_devtools.ports.cli import main

sys.exit(main())
