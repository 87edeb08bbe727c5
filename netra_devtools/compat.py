"""Platform flags (from netra_backend.compat, the one place that asks) and privilege checks."""

from __future__ import annotations

import os
import sys

from netra_backend.compat import LINUX, MACOS, WINDOWS

__all__ = ["LINUX", "MACOS", "WINDOWS", "is_root"]


def is_root() -> bool:
    """True when running with root privileges on a POSIX system."""
    if sys.platform == "win32":
        return False
    return os.geteuid() == 0
