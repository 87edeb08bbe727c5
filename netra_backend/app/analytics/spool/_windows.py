"""The spool's Windows file operations: NTFS needs no directory fsync; msvcrt locks a file."""

from __future__ import annotations

import msvcrt
import sys
from pathlib import Path
from typing import Any

assert sys.platform == "win32"  # Windows only: imported by the selector in spool/records


def fsync_dir(path: Path) -> None:
    """Nothing to do: NTFS makes a new file's directory entry durable with the file."""
    del path


def lock_exclusively(handle: Any) -> None:
    """Take a non-blocking exclusive lock on an open file; OSError when another holds it."""
    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
