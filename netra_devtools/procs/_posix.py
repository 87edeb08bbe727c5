"""POSIX process groups: a new session per child, killpg for the whole group, SIGTERM/SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

assert sys.platform != "win32"  # POSIX only: imported by the selector in procs/__init__

# Signals that the launcher turns into KeyboardInterrupt, and that a cleanup ignores (with SIGINT).
TERMINATION_SIGNALS = ("SIGTERM",)
INTERRUPT_SIGNALS = ("SIGINT", "SIGTERM")


def own_group(*, detach: bool = False) -> dict[str, Any]:
    """Popen arguments for a child in its own session and group: killpg reaches every child."""
    del detach  # a new session already leaves the terminal's group
    return {"start_new_session": True}


def group_members(pgid: int) -> list[Any]:
    """The processes in group `pgid`, including children whose parent already exited."""
    import psutil

    if pgid == os.getpgid(0):
        return []
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
    return members


def left_group(proc: Any, pgid: int) -> bool:
    """True when `proc` is no longer in group `pgid`, so signalling the group misses it."""
    return os.getpgid(proc.pid) != pgid


def signal_group(pid: int, *, hard: bool) -> None:
    """SIGTERM (or SIGKILL when `hard`) to the group `pid` leads, never to our own group."""
    sig = signal.SIGKILL if hard else signal.SIGTERM
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        pgid = pid  # the leader is gone; its group may live on
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if pgid == os.getpgid(0):
            os.kill(pid, sig)  # never signal our own group: this child did not come from spawn()
        else:
            os.killpg(pgid, sig)


def request_stop(pid: int) -> None:
    """Ask a process to shut down cleanly: SIGTERM."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
