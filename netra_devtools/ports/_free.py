"""free(): terminate, wait, kill — only the port's listeners (and a reloader parent first)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from netra_devtools.ports._bind import bind_tests
from netra_devtools.ports._diagnose import check_port_number, diagnose, os_ports
from netra_devtools.ports._model import BLOCKING, Action, Diagnosis, FreeReport, Holder
from netra_devtools.ports._reloader import is_reloader

NEVER_SIGNALLED = frozenset({0, 1, 4})
CREATE_TIME_TOLERANCE = 0.05  # /proc and psutil round the start time the same way


@dataclass
class Target:
    """A process free() means to stop, pinned by pid and create time."""

    pid: int
    create_time: float
    name: str
    role: str  # "reloader" (stopped first) or "listener"


@dataclass
class Plan:
    """What free() would do, decided before any signal is sent."""

    port: int
    diagnosis: Diagnosis
    targets: list[Target] = field(default_factory=list)
    skipped: list[Action] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def protected_pids() -> set[int]:
    """PIDs never signalled: 0, 1, 4 (System/http.sys), this process and its ancestors."""
    me = psutil.Process()
    return set(NEVER_SIGNALLED) | {me.pid} | {p.pid for p in me.parents()}


def verified(pid: int, create_time: float) -> psutil.Process | None:
    """The process if `pid` still is the one started at `create_time`, else None (gone/reused)."""
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) > CREATE_TIME_TOLERANCE:
            return None
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except psutil.Error:
        return None


def signal_if_same(pid: int, create_time: float, *, kill: bool = False) -> bool:
    """Terminate (or kill) `pid` only if it is still the same process; True if signalled."""
    if pid in protected_pids():
        return False
    proc = verified(pid, create_time)
    if proc is None:
        return False
    try:
        proc.kill() if kill else proc.terminate()
    except psutil.NoSuchProcess:
        return False
    return True


def _orphans_of_ours(holders: list[Holder]) -> list[str]:
    """Holders recorded in .netra/state.json (pid + create time): ours, running or orphaned."""
    from netra_devtools.state import load_state

    recorded = load_state().get("processes") or []
    launcher_alive = any(entry.get("name") == "launcher" and _is_alive(entry) for entry in recorded)
    what = (
        "part of our running stack (`invoke down` stops it cleanly)"
        if launcher_alive
        else "an orphan of ours (its launcher is gone)"
    )
    notes = []
    for entry in recorded:
        for holder in holders:
            if holder.pid == entry.get("pid") and _same_start(holder.create_time, entry):
                notes.append(
                    f"pid {holder.pid} ({holder.name}) is {what}: recorded in "
                    f".netra/state.json as {entry.get('name', '?')!r}"
                )
    return notes


def _same_start(create_time: float | None, entry: dict[str, Any]) -> bool:
    recorded = float(entry.get("create_time") or 0)
    return abs((create_time or -1.0) - recorded) <= CREATE_TIME_TOLERANCE


def _is_alive(entry: dict[str, Any]) -> bool:
    try:
        return _same_start(psutil.Process(int(entry["pid"])).create_time(), entry)
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def _may_signal(holder: Holder, force: bool) -> str:
    """Why we may not signal `holder` ('' when we may)."""
    if holder.pid in protected_pids():
        return "never signalled (system process, this process or one of its ancestors)"
    if holder.name in os_ports.PROXY_NAMES:
        name = (holder.container or {}).get("name")
        target = f"`docker stop {name}`" if name else "the container that publishes the port"
        return f"Docker's port proxy: stop {target} instead (killing the proxy breaks Docker)"
    if not os_ports.owned_by_someone_else(holder):
        return ""
    if not force:
        return (
            f"belongs to user {holder.user or '?'}; rerun with --force (as root/admin) to stop it"
        )
    if not os_ports.is_admin():
        return f"belongs to user {holder.user or '?'}; --force needs root/admin to stop it"
    return ""


def plan_free(port: int, *, force: bool = False) -> Plan:
    """Decide what to stop: listeners, plus a reloader parent that would respawn them."""
    check_port_number(port)
    diag = diagnose(port, complete=True)
    plan = Plan(port, diag, notes=_orphans_of_ours(diag.holders))
    listeners: dict[int, Holder] = {h.pid: h for h in diag.holders if h.pid is not None}
    if any(h.pid is None for h in diag.holders):
        plan.notes.append("a listener's owner is not visible to this account; run as root/admin")
    chosen: dict[int, Target] = {}
    for pid, holder in listeners.items():
        reason = _may_signal(holder, force)
        if reason:
            plan.skipped.append(Action(pid, holder.name, "listener", "skipped", reason))
            continue
        parent = _parent_of(holder)
        if parent is not None and parent.pid and parent.pid not in protected_pids():
            refusal = _may_signal(parent, force)
            if is_reloader(parent.cmdline, holder.cmdline) and not refusal:
                chosen[parent.pid] = _target(parent, "reloader")
            elif is_reloader(parent.cmdline, holder.cmdline):
                plan.left_alone.append(
                    f"reloader {parent.pid} ({parent.name}) of pid {pid} may respawn it: {refusal}"
                )
            elif parent.pid not in listeners:
                plan.left_alone.append(
                    f"parent {parent.pid} ({parent.name}) of pid {pid}: not a reloader, left alone"
                )
        chosen.setdefault(pid, _target(holder, "listener"))
    plan.targets = sorted(chosen.values(), key=lambda t: t.role != "reloader")
    plan.left_alone = sorted(set(plan.left_alone))
    return plan


def _target(holder: Holder, role: str) -> Target:
    return Target(holder.pid or 0, holder.create_time or 0.0, holder.name, role)


def _parent_of(holder: Holder) -> Holder | None:
    if not holder.ppid:
        return None
    from netra_devtools.ports import _psutil_scan

    parent = _psutil_scan.process_holder(holder.ppid)
    return parent if parent.pid and parent.create_time is not None else None


def _stop(targets: list[Target], timeout: float) -> list[Action]:
    """Terminate, wait up to `timeout`, then kill what is left — each re-verified first."""
    actions: dict[int, Action] = {}
    waiting = []
    for t in targets:
        if signal_if_same(t.pid, t.create_time):
            actions[t.pid] = Action(t.pid, t.name, t.role, "terminated")
            waiting.append(t)
        else:
            actions[t.pid] = Action(
                t.pid, t.name, t.role, "gone", "exited or pid reused: not signalled"
            )
    procs = [p for p in (verified(t.pid, t.create_time) for t in waiting) if p is not None]
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        t = next(t for t in waiting if t.pid == proc.pid)
        if signal_if_same(t.pid, t.create_time, kill=True):
            actions[t.pid].outcome = "killed"
            actions[t.pid].detail = f"did not exit within {timeout:g} s of SIGTERM"
    psutil.wait_procs([p for p in alive if p.is_running()], timeout=timeout)
    return list(actions.values())


def _wait_until_bindable(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(b.status in BLOCKING for b in bind_tests(port)):
            return
        time.sleep(0.1)


def execute(plan: Plan, *, dry_run: bool = False, timeout: float = 5) -> FreeReport:
    """Carry out a plan (or describe it, with dry_run) and bind-test afterwards."""
    report = FreeReport(
        plan.port, dry_run, freed=False, left_alone=plan.left_alone, notes=plan.notes
    )
    report.actions.extend(plan.skipped)
    if not plan.targets and not plan.skipped and not plan.diagnosis.holders:
        report.diagnosis = plan.diagnosis
        report.freed = report.nothing_to_free = plan.diagnosis.bindable
        if report.freed:
            report.notes.append("nothing to free: no process listens on this port")
        else:  # reserved range, privileged port, ...: no process to stop, the fix is elsewhere
            report.notes.append(f"no process to stop: {plan.diagnosis.verdict}")
        return report
    if dry_run:
        for t in plan.targets:
            report.actions.append(Action(t.pid, t.name, t.role, "would terminate"))
        report.diagnosis = plan.diagnosis
        return report
    if not plan.targets:  # everything was skipped or invisible: nothing changed, say why
        report.diagnosis = plan.diagnosis
        report.freed = plan.diagnosis.bindable
        return report
    for role in ("reloader", "listener"):
        report.actions.extend(_stop([t for t in plan.targets if t.role == role], timeout))
    _wait_until_bindable(plan.port, min(timeout, 3.0))
    report.diagnosis = diagnose(plan.port)
    report.freed = report.diagnosis.bindable
    return report


def free(port: int, force: bool = False, dry_run: bool = False, timeout: float = 5) -> FreeReport:
    """Free `port`: stop its listeners safely; `freed` is true only if the port binds afterwards."""
    return execute(plan_free(port, force=force), dry_run=dry_run, timeout=timeout)
