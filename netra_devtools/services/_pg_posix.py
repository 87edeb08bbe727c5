"""PostgreSQL on POSIX: initdb refuses root, so as root the cluster runs as an unprivileged user."""

from __future__ import annotations

import contextlib
import os
import pwd
import sys
from pathlib import Path
from typing import Any

assert sys.platform != "win32"  # POSIX only: imported by the selector in services/pg_runtime

EXE = ""
_UNPRIVILEGED_USERS = ("postgres", "embedded_postgres", "nobody")


def unprivileged_user() -> str | None:
    """The first of postgres, embedded_postgres, nobody that exists here, else None."""
    for name in _UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def chown_tree(path: Path, user: str | None) -> None:
    """Give `path` and everything under it to `user` (nothing to do when `user` is None)."""
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def popen_as(user: str | None) -> dict[str, Any]:
    """subprocess arguments that run a program as `user` (none when `user` is None)."""
    if not user:
        return {}
    # uid alone would keep root's gid 0, and root-group dirs (mode 0701) would then deny
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": [], "cwd": "/"}
