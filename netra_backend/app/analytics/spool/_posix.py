"""The spool's POSIX file operations: fsync a directory entry, flock a file."""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path
from typing import Any

assert sys.platform != "win32"  # POSIX only: imported by the selector in spool/records


def fsync_dir(path: Path) -> None:
    """Make a new file's directory entry durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_exclusively(handle: Any) -> None:
    """Take a non-blocking exclusive lock on an open file; OSError when another holds it."""
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
