"""Windows process groups: CREATE_NEW_PROCESS_GROUP, CTRL_BREAK_EVENT to stop, psutil for the rest."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

assert sys.platform == "win32"  # Windows only: imported by the selector in procs/__init__

# Signals that the launcher turns into KeyboardInterrupt, and that a cleanup ignores (with SIGINT).
TERMINATION_SIGNALS = ("SIGTERM", "SIGBREAK")
INTERRUPT_SIGNALS = ("SIGINT", "SIGTERM", "SIGBREAK")


def own_group(*, detach: bool = False) -> dict[str, Any]:
    """Popen arguments for a child in a new process group (detached from our console if asked)."""
    flags = subprocess.CREATE_NEW_PROCESS_GROUP
    if detach:
        flags |= subprocess.DETACHED_PROCESS
    return {"creationflags": flags}


def group_members(pgid: int) -> list[Any]:
    """Windows has no group table to walk: descendants are found through psutil alone."""
    del pgid
    return []


def left_group(proc: Any, pgid: int) -> bool:
    """Always True: CTRL_BREAK_EVENT may miss any descendant, so each is signalled directly."""
    del proc, pgid
    return True


def signal_group(pid: int, *, hard: bool) -> None:
    """CTRL_BREAK_EVENT to the group `pid` leads; a hard stop is left to killing the tree."""
    if not hard:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.CTRL_BREAK_EVENT)


def request_stop(pid: int) -> None:
    """Ask a process to shut down cleanly: CTRL_BREAK_EVENT."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.CTRL_BREAK_EVENT)
