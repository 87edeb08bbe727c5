"""Listeners, TIME_WAIT and process details through psutil (macOS, Windows, and `free()`)."""

from __future__ import annotations

import sys
from typing import Any

import psutil

from netra_devtools.ports._model import Holder


def _tcp_sockets() -> list[tuple[str, Any, int | None]]:
    """(status, laddr, pid) of every TCP socket psutil can see; per process when denied (macOS)."""
    try:
        return [(c.status, c.laddr, c.pid) for c in psutil.net_connections(kind="tcp")]
    except psutil.AccessDenied:
        sockets: list[tuple[str, Any, int | None]] = []
        for proc in psutil.process_iter():
            try:
                # psutil < 6 names it connections()
                per_process = getattr(proc, "net_connections", None) or proc.connections
                sockets.extend((c.status, c.laddr, proc.pid) for c in per_process("tcp"))
            except (psutil.Error, OSError):
                continue
        return sockets


def process_holder(pid: int, address: str = "") -> Holder:
    """A Holder for `pid` from psutil; fields it may not read stay empty."""
    holder = Holder(pid=pid, address=address)
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            holder.name = proc.name()
            holder.create_time = proc.create_time()
            holder.ppid = proc.ppid()
            try:
                holder.cmdline = proc.cmdline()
            except (psutil.AccessDenied, psutil.ZombieProcess):
                pass
            try:
                holder.user = proc.username()
            except (psutil.AccessDenied, KeyError):
                pass
            if sys.platform != "win32":  # Windows processes have no uids (mypy narrows this form)
                try:
                    holder.uid = proc.uids().real
                except psutil.AccessDenied:
                    pass
    except psutil.NoSuchProcess:
        holder.note = "process exited"
    except psutil.AccessDenied:
        holder.note = "process details not readable (another user's process)"
    return holder


def scan(port: int, *, complete: bool = True) -> tuple[list[Holder], int]:
    """(listeners on `port`, count of its TIME_WAIT sockets); psutil always sees every socket."""
    del complete
    holders: list[Holder] = []
    seen: set[tuple[int | None, str]] = set()
    time_wait = 0
    for status, laddr, pid in _tcp_sockets():
        if not laddr or laddr.port != port:
            continue
        if status == psutil.CONN_TIME_WAIT:
            time_wait += 1
        if status != psutil.CONN_LISTEN or (pid, laddr.ip) in seen:
            continue
        seen.add((pid, laddr.ip))
        if pid is None:
            holders.append(Holder(pid=None, address=laddr.ip, note="owner not visible"))
        else:
            holders.append(process_holder(pid, laddr.ip))
    return holders, time_wait
