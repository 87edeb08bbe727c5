"""PostgreSQL on Windows: programs end in .exe, and the cluster runs as the current user."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

assert sys.platform == "win32"  # Windows only: imported by the selector in services/pg_runtime

EXE = ".exe"


def unprivileged_user() -> str | None:
    """None: there is no root to step down from, so no other user is looked for."""
    return None


def chown_tree(path: Path, user: str | None) -> None:
    """Nothing to do: the cluster never runs as another user here."""
    del path, user


def popen_as(user: str | None) -> dict[str, Any]:
    """No arguments: the cluster never runs as another user here."""
    del user
    return {}


def can_traverse(path: Path, user: str) -> bool:
    """True: the cluster runs as the current user, who reaches whatever it created."""
    del path, user
    return True


def stage_installation(base: Path, parts: list[Path], name: str) -> Path:
    """The installation itself: the current user runs it."""
    del parts, name
    return base


def home_for(path: Path, name: str) -> Path:
    """`path` itself: the current user reaches what it created."""
    del name
    return path
