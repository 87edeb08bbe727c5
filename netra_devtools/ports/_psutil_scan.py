"""Listening sockets, TIME_WAIT and process details through psutil (macOS, Windows, `free()`)."""

from __future__ import annotations

import sys
from typing import Any

import psutil

from netra_devtools.ports._model import Holder, Socket


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


def environ(pid: int) -> dict[str, str] | None:
    """The environment of `pid`, or None when it is not readable."""
    try:
        return dict(psutil.Process(pid).environ())
    except (psutil.Error, OSError):
        return None


def scan(port: int) -> tuple[list[Socket], list[Holder], int | None]:
    """(listening sockets on `port`, their processes, count of TIME_WAIT sockets) from psutil.

    Without inodes, sockets are told apart by address: on macOS every process that holds a
    socket lists it; on Windows the table names only the process that opened it.
    """
    by_address: dict[str, Socket] = {}
    holders: dict[int, Holder] = {}
    hidden: list[Holder] = []
    time_wait = 0
    for status, laddr, pid in _tcp_sockets():
        if not laddr or laddr.port != port:
            continue
        if status == psutil.CONN_TIME_WAIT:
            time_wait += 1
        if status != psutil.CONN_LISTEN:
            continue
        sock = by_address.setdefault(laddr.ip, Socket(laddr.ip))
        if pid is None:
            hidden.append(Holder(pid=None, address=laddr.ip, note="owner not visible"))
        elif pid not in sock.pids:
            sock.pids.append(pid)
            if pid not in holders:
                holders[pid] = process_holder(pid, laddr.ip)
    sockets = sorted(by_address.values(), key=lambda s: s.address)
    for sock in sockets:
        sock.pids.sort()
        owner = holders.get(sock.pids[0]) if sock.pids else None
        sock.uid, sock.user = (owner.uid, owner.user) if owner else (None, "")
    return sockets, [*holders.values(), *hidden], time_wait
