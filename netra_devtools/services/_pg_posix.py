"""PostgreSQL on POSIX: initdb refuses root, so as root the cluster runs as an unprivileged user."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import sys
from pathlib import Path
from typing import Any

assert sys.platform != "win32"  # POSIX only: imported by the selector in services/pg_runtime

from netra_devtools.services import shared_cache  # noqa: E402  (POSIX only, like this module)

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
    os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)  # a file has no walk
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


def can_traverse(path: Path, user: str) -> bool:
    """True when `user` may search `path` and every directory above it (x for its class)."""
    entry = pwd.getpwnam(user)
    groups = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    for directory in [path, *path.parents]:
        info = directory.stat()
        if info.st_uid == entry.pw_uid:
            bit = 0o100
        elif info.st_gid in groups:
            bit = 0o010
        else:
            bit = 0o001
        if not info.st_mode & bit:
            return False
    return True


def stage_installation(base: Path, parts: list[Path], name: str) -> Path:
    """A copy of a PostgreSQL installation that the unprivileged user can reach (shared cache)."""
    return shared_cache.stage_tree(base, parts, name)


def home_for(path: Path, name: str) -> Path:
    """A shared-cache directory standing in for `path`, which the user cannot reach."""
    return shared_cache.home_for(path, name)
