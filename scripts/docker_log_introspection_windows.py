#!/usr/bin/env python3
"""Read the dev stack's container logs and name the known problems in them (`--help`)."""

import sys

from netra_devtools.learnings.cli import main

if __name__ == "__main__":
    sys.exit(main(["introspect", *sys.argv[1:]]))
