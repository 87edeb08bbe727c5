#!/usr/bin/env python3
"""Prove the backend degrades gracefully without ClickHouse and loses no event (`--help`)."""

import sys

from netra_devtools.analytics.cli import main

if __name__ == "__main__":
    sys.exit(main(["check", *sys.argv[1:]]))
