"""free(): stop the trees that hold a port, with consent: each tree's root first (it would restart
the others), then what is left of it; every process re-checked by pid and create time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psutil

from netra_devtools.ports import _consent
from netra_devtools.ports._bind import bind_tests
from netra_devtools.ports._diagnose import check_port_number, diagnose, os_ports
from netra_devtools.ports._model import (
    BLOCKING,
    DECLINED,
    GONE,
    KILLED,
    MEMBER,
    NEEDS_CONSENT,
    TERMINATED,
    WOULD_TERMINATE,
    Action,
    Diagnosis,
    Fix,
    FreeReport,
    Holder,
)

if TYPE_CHECKING:
    from collections.abc import Callable

CREATE_TIME_TOLERANCE = _consent.CREATE_TIME_TOLERANCE
WOULD_ASK = "would ask"


@dataclass
class Target:
    """A process free() means to stop, pinned by pid and create time."""

    pid: int
    create_time: float
    name: str
    role: str  # ROOT or RELOADER (stopped first), MEMBER (what is left afterwards)


@dataclass
class TreePlan:
    """What to do with one tree: stop it, ask first, or a refusal (with what to run instead)."""

    tree: list[Holder]
    verdict: str  # _consent.STOP, _consent.ASK, or a refusal outcome
    detail: str
    instead: Fix | None = None


@dataclass
class Plan:
    """What free() would do, decided before any signal is sent."""

    port: int
    diagnosis: Diagnosis
    trees: list[TreePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


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
    if pid in _consent.protected_pids():
        return False
    proc = verified(pid, create_time)
    if proc is None:
        return False
    try:
        proc.kill() if kill else proc.terminate()
    except psutil.NoSuchProcess:
        return False
    return True


def _with_inheritors(tree: list[Holder]) -> list[Holder]:
    """Where the system names only a socket's opener (Windows), its descendants may hold it too."""
    if os_ports.EVERY_HOLDER_VISIBLE:
        return tree
    known = {h.pid for h in tree}
    extra = []
    try:
        for child in psutil.Process(tree[0].pid or 0).children(recursive=True):
            if child.pid not in known:
                holder = os_ports.process_holder(child.pid)
                holder.role, holder.root = MEMBER, tree[0].pid
                extra.append(holder)
    except psutil.Error:
        pass
    return tree + extra


def plan_free(port: int, *, force: bool = False) -> Plan:
    """Decide, tree by tree, what may be stopped (nothing is asked or signalled here)."""
    from netra_devtools.state import load_state

    check_port_number(port)
    diag = diagnose(port)
    state = load_state()
    protected = _consent.protected_pids()
    plan = Plan(port, diag)
    for root, tree in diag.trees().items():
        if root is None:
            plan.notes.append("a listener's owner is not visible to this account; run as root")
            continue
        tree = _with_inheritors(tree)
        plan.left_alone.extend(_parent_left_alone(tree[0]))
        kind = _consent.tree_ownership(tree, state)
        if kind != _consent.FOREIGN:
            what = "part of our running stack" if kind == _consent.STACK else "an orphan of ours"
            named = _consent.recorded_name(state, tree[0].pid) or "?"
            plan.notes.append(
                f"pid {tree[0].pid} ({tree[0].name}) is {what}: recorded in .netra/state.json "
                f"as {named!r}" + (" (its launcher is gone)" if kind == _consent.ORPHAN else "")
            )
        verdict, detail, instead = _consent.decide(
            tree, kind, port=port, force=force, protected=protected
        )
        plan.trees.append(TreePlan(tree, verdict, detail, instead))
    return plan


def _parent_left_alone(root: Holder) -> list[str]:
    """Name the parent of a tree's root: it is not a reloader (else it would be the root)."""
    if not root.ppid or root.ppid <= 1:
        return []
    parent = os_ports.process_holder(root.ppid)
    if parent.create_time is None:
        return []
    return [f"parent {parent.pid} ({parent.name}) of pid {root.pid}: not a reloader, left alone"]


def _target(holder: Holder) -> Target:
    return Target(holder.pid or 0, holder.create_time or 0.0, holder.name, holder.role)


def _stop_group(targets: list[Target], timeout: float, actions: dict[int, Action]) -> None:
    """Terminate each (re-verified), wait up to `timeout`, then kill what is left."""
    waiting = []
    for t in targets:
        if signal_if_same(t.pid, t.create_time):
            actions[t.pid] = Action(t.pid, t.name, t.role, TERMINATED)
            waiting.append(t)
        elif t.pid not in actions:
            detail = "exited with its root" if t.role == MEMBER else "exited or pid reused"
            actions[t.pid] = Action(t.pid, t.name, t.role, GONE, f"{detail}: not signalled")
    procs = [p for p in (verified(t.pid, t.create_time) for t in waiting) if p is not None]
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        t = next(t for t in waiting if t.pid == proc.pid)
        if signal_if_same(t.pid, t.create_time, kill=True):
            actions[t.pid].outcome = KILLED
            actions[t.pid].detail = f"did not exit within {timeout:g} s of SIGTERM"
    psutil.wait_procs([p for p in alive if p.is_running()], timeout=timeout)


def stop_trees(trees: list[list[Holder]], timeout: float) -> list[Action]:
    """Every tree's roots (and reloaders) first; then the members still running."""
    targets = [_target(h) for tree in trees for h in tree if h.pid is not None]
    actions: dict[int, Action] = {}
    _stop_group([t for t in targets if t.role != MEMBER], timeout, actions)
    _stop_group([t for t in targets if t.role == MEMBER], timeout, actions)
    return [actions[t.pid] for t in targets if t.pid in actions]


def _wait_until_bindable(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(b.status in BLOCKING for b in bind_tests(port)):
            return
        time.sleep(0.1)


def _refuse(report: FreeReport, plan: TreePlan, outcome: str, detail: str) -> None:
    for holder in plan.tree:
        report.actions.append(Action(holder.pid or 0, holder.name, holder.role, outcome, detail))
    if plan.instead is not None and plan.instead.command not in {
        f.command for f in report.next_steps
    }:
        report.next_steps.append(plan.instead)


_REFUSALS = {
    WOULD_ASK: "not ours: fix-port asks first",
    NEEDS_CONSENT: "not ours, and no terminal to ask on",
    DECLINED: "you answered no",
}


def _ask(
    tree_plan: TreePlan, port: int, *, dry_run: bool, confirm: Callable[[str], bool] | None
) -> str:
    """STOP when the person says yes; otherwise why not (a dry run never asks)."""
    if dry_run:
        return WOULD_ASK
    if confirm is None:
        return NEEDS_CONSENT
    return _consent.STOP if confirm(_consent.question(tree_plan.tree, port)) else DECLINED


def execute(
    plan: Plan,
    *,
    dry_run: bool = False,
    timeout: float = 5,
    confirm: Callable[[str], bool] | None = None,
) -> FreeReport:
    """Carry out a plan: ask where it must (`confirm`, None without a terminal), stop, re-check."""
    report = FreeReport(plan.port, dry_run, freed=False, notes=plan.notes)
    report.left_alone = sorted(set(plan.left_alone))
    report.diagnosis = plan.diagnosis
    if not plan.diagnosis.holders:
        report.freed = report.nothing_to_free = plan.diagnosis.bindable
        if report.freed:
            report.notes.append("nothing to free: no process listens on this port")
        else:  # reserved range, privileged port, ...: no process to stop, the fix is elsewhere
            report.notes.append(f"no process to stop: {plan.diagnosis.verdict}")
        return report
    chosen: list[list[Holder]] = []
    for tree_plan in plan.trees:
        verdict = tree_plan.verdict
        if verdict == _consent.ASK:
            verdict = _ask(tree_plan, plan.port, dry_run=dry_run, confirm=confirm)
        if verdict in (_consent.STOP, _consent.ASK):
            chosen.append(tree_plan.tree)
        else:
            _refuse(report, tree_plan, verdict, _REFUSALS.get(verdict, tree_plan.detail))
    if dry_run:
        report.actions[:0] = [
            Action(h.pid or 0, h.name, h.role, WOULD_TERMINATE) for tree in chosen for h in tree
        ]
        return report
    if chosen:
        report.actions[:0] = stop_trees(chosen, timeout)
        _wait_until_bindable(plan.port, min(timeout, 3.0))
        report.diagnosis = diagnose(plan.port)
    report.freed = report.diagnosis.bindable
    return report


def free(
    port: int,
    force: bool = False,
    dry_run: bool = False,
    timeout: float = 5,
    confirm: Callable[[str], bool] | None = None,
) -> FreeReport:
    """Free `port` with consent (see ports._consent); `freed` only if the port binds afterwards.

    `confirm(question)` asks a person (y/N); None means there is no one to ask.
    """
    plan = plan_free(port, force=force)
    return execute(plan, dry_run=dry_run, timeout=timeout, confirm=confirm)
