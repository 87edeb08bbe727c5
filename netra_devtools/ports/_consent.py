"""Whose a port's holders are, and what we may do to them without asking (the consent rule).

One rule for `fix-port` and `invoke doctor --fix`:
- an orphan of ours (recorded in .netra/state.json, verified by pid and create time, whose
  launcher is gone) is stopped without asking;
- our running stack is left to `invoke down`;
- anything else is asked about on a terminal (y/N, naming the process); without a terminal it is
  refused, and the exact `--force` command is given;
- `--force` stops any holder the user may signal, but never a protected process: pid 1, our own
  ancestors, the system's daemons and services. Docker's proxy is never signalled: its
  container is what to stop.
"""

from __future__ import annotations

from typing import Any

import psutil

from netra_devtools.ports._diagnose import container_fix, fix_port_command, os_ports
from netra_devtools.ports._model import (
    CONTAINER,
    NEEDS_CONSENT,
    NOT_PERMITTED,
    PROTECTED,
    STACK_RUNNING,
    Fix,
    Holder,
)

ORPHAN = "orphan"  # recorded in state.json, but the launcher that owned it is gone
STACK = "stack"  # recorded in state.json and its launcher (or compose project) still runs
FOREIGN = "foreign"  # anything else: not ours to stop without consent
NEVER_SIGNALLED = frozenset({0, 1, 4})  # the kernel's, init, Windows' System (http.sys)
CREATE_TIME_TOLERANCE = 0.05  # /proc and psutil round the start time the same way

STOP, ASK = "stop", "ask"


def _lineage(pid: int | None) -> list[tuple[int, float]]:
    """(pid, create time) of `pid` and its ancestors: a recorded parent owns its workers too."""
    chain: list[tuple[int, float]] = []
    try:
        proc: Any = psutil.Process(pid) if pid else None
        while proc is not None and proc.pid > 1:
            chain.append((proc.pid, proc.create_time()))
            proc = proc.parent()
    except psutil.Error:
        pass
    return chain


def _records(state: dict[str, Any]) -> list[tuple[str, int, float]]:
    """(name, pid, create time) of each process state.json lists."""
    found = []
    for entry in state.get("processes") or []:
        try:
            found.append((str(entry["name"]), int(entry["pid"]), float(entry["create_time"])))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _alive(pid: int, create_time: float) -> bool:
    try:
        proc = psutil.Process(pid)
        same = abs(proc.create_time() - create_time) <= CREATE_TIME_TOLERANCE
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stack_running(state: dict[str, Any]) -> bool:
    """True while the recorded stack has its owner: the launcher process, or compose."""
    if state.get("mode") == "compose":
        return True
    return any(name == "launcher" and _alive(pid, t) for name, pid, t in _records(state))


def recorded_name(state: dict[str, Any], pid: int | None) -> str | None:
    """The state.json name of the process `pid` is (or descends from), by pid and create time."""
    records = _records(state)
    for candidate, started in _lineage(pid):
        for name, rec_pid, rec_started in records:
            if rec_pid == candidate and abs(rec_started - started) < CREATE_TIME_TOLERANCE:
                return name
    return None


def ownership(holder: Holder, state: dict[str, Any], compose_project: str = "") -> str:
    """ORPHAN, STACK or FOREIGN, from what the launcher recorded (nothing is guessed)."""
    if recorded_name(state, holder.pid) is not None:
        return STACK if stack_running(state) else ORPHAN
    name = str((holder.container or {}).get("name") or "")
    project = compose_project or str((state.get("compose") or {}).get("project") or "")
    ours = project and name.startswith((f"{project}_", f"{project}-"))
    return STACK if state.get("mode") == "compose" and ours else FOREIGN


def tree_ownership(tree: list[Holder], state: dict[str, Any]) -> str:
    """A tree is an orphan of ours only when every process in it is; ours running when any is."""
    kinds = {ownership(h, state) for h in tree}
    if STACK in kinds:
        return STACK
    return ORPHAN if kinds == {ORPHAN} else FOREIGN


def protected_pids() -> set[int]:
    """PIDs never signalled: 0, 1, 4 (System/http.sys), this process and its ancestors."""
    me = psutil.Process()
    return set(NEVER_SIGNALLED) | {me.pid} | {p.pid for p in me.parents()}


def protection(holder: Holder, protected: set[int]) -> tuple[str, Fix | None]:
    """(why `holder` is never signalled, even with --force; how to stop it instead) or ("", None)."""
    if holder.pid in protected:
        return "never signalled (pid 1, the system, this process or one of its ancestors)", None
    return os_ports.system_process(holder)


def decide(
    tree: list[Holder], kind: str, *, port: int, force: bool, protected: set[int]
) -> tuple[str, str, Fix | None]:
    """(STOP, ASK or a refusal outcome; why; the command the person can run instead)."""
    proxy = next((h for h in tree if h.name in os_ports.PROXY_NAMES), None)
    if proxy is not None:
        fix = container_fix(port, proxy)
        return CONTAINER, f"Docker's port proxy: `{fix.command}` instead", fix
    for holder in tree:
        reason, instead = protection(holder, protected)
        if reason:
            return PROTECTED, f"pid {holder.pid} ({holder.name}): {reason}", instead
    others = [h for h in tree if os_ports.owned_by_someone_else(h)]
    if others and not os_ports.is_admin():
        user = others[0].user or "?"
        fix = Fix("as root/admin", fix_port_command(port, force=True), needs_admin=True)
        return NOT_PERMITTED, f"belongs to user {user}: only root/admin may stop it", fix
    if kind == ORPHAN or force:
        return STOP, "an orphan of ours" if kind == ORPHAN else "--force", None
    if kind == STACK:
        return STACK_RUNNING, "part of our running stack", Fix("stop our stack", ["invoke", "down"])
    fix = Fix("stop it without asking", fix_port_command(port, force=True))
    return ASK, "not ours: asked first", fix


def question(tree: list[Holder], port: int) -> str:
    """The y/N question that names the process (and how many more of its tree go with it)."""
    root = tree[0]
    command = " ".join(" ".join(root.cmdline).split())[:80] or root.name
    more = f" and {len(tree) - 1} more of its tree" if len(tree) > 1 else ""
    return (
        f"port {port} is held by {root.name} (pid {root.pid}, user {root.user or '?'}: "
        f"{command}){more}, which is not ours. Stop it?"
    )


__all__ = ["ASK", "FOREIGN", "NEEDS_CONSENT", "ORPHAN", "STACK", "STOP", "decide", "ownership"]
