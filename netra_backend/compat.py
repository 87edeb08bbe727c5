"""The one place that asks which platform this is; the dev tooling re-exports these flags."""

from __future__ import annotations

import sys

WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"
LINUX = sys.platform.startswith("linux")
