#!/usr/bin/env python3
"""Build the local stand-in images for CI and load them into the engine (`--help`)."""

import sys

from netra_devtools.images.cli import main

if __name__ == "__main__":
    sys.exit(main())
