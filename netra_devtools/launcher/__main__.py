"""`python -m netra_devtools.launcher [up|down|reset|logs|health|serve] ...`."""

import sys

from netra_devtools.launcher.cli import main

sys.exit(main())
