"""The one place that asks which platform this is; platform modules are chosen from here."""

from __future__ import annotations

import os
import sys

WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"
LINUX = sys.platform.startswith("linux")


def is_root() -> bool:
    """True when running with root privileges on a POSIX system."""
    return not WINDOWS and os.geteuid() == 0
