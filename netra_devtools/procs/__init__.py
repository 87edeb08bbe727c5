"""Child processes in their own process group: spawn, identify by pid + create time, stop whole trees.

POSIX (`_posix`): a new session, so the group can be signalled at once (SIGTERM, then SIGKILL).
Windows (`_windows`): CREATE_NEW_PROCESS_GROUP, so CTRL_BREAK_EVENT reaches the child and its
descendants; whatever survives the grace period is killed as a tree. Descendants that left the
group are collected with psutil before signalling, so nothing the stack started is left holding a
port. The platform module is chosen once, here.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_devtools.procs import _windows as os_procs
else:
    from netra_devtools.procs import _posix as os_procs

STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class ProcessRecord:
    """A process as state.json records it: name, pid and create time (guards against pid reuse)."""

    name: str
    pid: int
    create_time: float

    def as_dict(self) -> dict[str, Any]:
        """The JSON form kept in state.json."""
        return {"name": self.name, "pid": self.pid, "create_time": self.create_time}


def create_time(pid: int) -> float | None:
    """The process's create time (psutil), or None when no such process exists."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def record(name: str, pid: int) -> ProcessRecord:
    """A ProcessRecord for a running process."""
    started = create_time(pid)
    if started is None:
        raise ProcessLookupError(f"{name}: process {pid} is not running")
    return ProcessRecord(name=name, pid=pid, create_time=started)


def is_same_process(pid: int, started: float) -> bool:
    """True when `pid` still runs and is the process that started at `started` (not a reuse)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - started) < 0.05 and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def own_group(*, detach: bool = False) -> dict[str, Any]:
    """Popen arguments for a child in its own process group: a terminal's Ctrl-C reaches only
    us, and we stop the child in order (the backend before the stores it writes to)."""
    return os_procs.own_group(detach=detach)


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    detach: bool = False,
) -> subprocess.Popen[bytes]:
    """Start `args` as the leader of a new process group, output appended to `log`."""
    kwargs = own_group(detach=detach)
    out: IO[bytes] | int = subprocess.DEVNULL
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")  # handed to the child; our copy is closed below
    try:
        return subprocess.Popen(
            list(args),
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            **kwargs,
        )
    finally:
        if not isinstance(out, int):
            out.close()


def _tree(pid: int) -> list[Any]:
    """`pid`, its descendants, and (POSIX) its group's members: spawn() makes pid the group id."""
    import psutil

    found: dict[int, Any] = {}
    with contextlib.suppress(psutil.NoSuchProcess):
        parent = psutil.Process(pid)
        found.update((p.pid, p) for p in [parent, *parent.children(recursive=True)])
    for member in os_procs.group_members(pid):
        found.setdefault(member.pid, member)
        with contextlib.suppress(psutil.Error):
            found.update((c.pid, c) for c in member.children(recursive=True) if c.pid not in found)
    return list(found.values())


def stop_tree(pid: int, *, grace: float = STOP_GRACE_S) -> bool:
    """Stop `pid`, its process group and every descendant; True when none survive.

    Graceful first (SIGTERM to the group / CTRL_BREAK_EVENT), then kill whatever is left after
    `grace` seconds, including descendants that moved to another group.
    """
    import psutil

    procs = _tree(pid)
    if not procs:
        return True
    os_procs.signal_group(pid, hard=False)
    for proc in procs:
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid != pid and os_procs.left_group(proc, pid):
                proc.terminate()  # left the group (or Windows): signal it directly
    _gone, alive = psutil.wait_procs(procs, timeout=grace)
    if alive:
        os_procs.signal_group(pid, hard=True)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        _gone, alive = psutil.wait_procs(alive, timeout=5)
    return not alive


def stop_recorded(rec: ProcessRecord, *, grace: float = STOP_GRACE_S) -> bool:
    """Stop a recorded process tree only if pid + create time still match; True when it is gone."""
    if not is_same_process(rec.pid, rec.create_time):
        return True  # already gone, or the pid now belongs to someone else: leave it alone
    return stop_tree(rec.pid, grace=grace)


def wait_gone(pid: int, timeout: float) -> bool:
    """True once `pid` has exited (or is a zombie) within `timeout` seconds."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def request_stop(pid: int) -> None:
    """Ask a process (a detached launcher) to shut down cleanly: SIGTERM / CTRL_BREAK_EVENT."""
    os_procs.request_stop(pid)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (and CTRL_BREAK_EVENT on Windows) raise KeyboardInterrupt like Ctrl-C."""
    previous = {}
    for name in os_procs.TERMINATION_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, _raise_interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM are ignored, so a cleanup runs to its end."""
    previous = {}
    for name in os_procs.INTERRUPT_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
