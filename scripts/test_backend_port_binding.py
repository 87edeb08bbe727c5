#!/usr/bin/env python3
"""Check that the backend's port binds; if not, who holds it and the exact fix (`--help`)."""

import sys

from netra_devtools.ports.cli import main

if __name__ == "__main__":
    sys.exit(main(["check", *sys.argv[1:]]))
