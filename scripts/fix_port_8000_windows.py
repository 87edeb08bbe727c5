#!/usr/bin/env python3
"""Free a TCP port safely: stop only the processes listening on it (`--help`)."""

import sys

from netra_devtools.ports.cli import main

if __name__ == "__main__":
    sys.exit(main(["fix", *sys.argv[1:]]))
