#!/usr/bin/env python3
"""Start the development stack with one command; stop, reset, follow logs, check health.

`python scripts/dev_launcher.py [up|down|reset|logs|health|serve] --help` for each command.
"""

import sys

from netra_devtools.launcher.cli import main

if __name__ == "__main__":
    sys.exit(main())
