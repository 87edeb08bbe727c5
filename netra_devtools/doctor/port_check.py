"""The doctor's port check: free, held by our running stack, or held by an orphan of ours (fixable).

Ours is decided only from `.netra/state.json` (pid + create time, as the launcher records them,
and `fix-port` reads them): a recorded process is "our stack" while its launcher runs (or the
compose project is recorded), "an orphan of ours" once the launcher is gone. Anything else is
foreign and is never stopped here: the port doctor's fix is shown instead.
"""

from __future__ import annotations

from typing import Any

from netra_devtools.doctor.model import CheckResult, DoctorContext, FixOutcome, Status

STACK = "stack"  # recorded in state.json and its launcher (or compose project) still runs
ORPHAN = "orphan"  # recorded in state.json, but the launcher that owned it is gone
FOREIGN = "foreign"  # anything else: never ours to stop


def _lineage(pid: int | None) -> list[tuple[int, float]]:
    """(pid, create time) of `pid` and its ancestors: a recorded parent owns its workers too."""
    import psutil

    chain: list[tuple[int, float]] = []
    try:
        proc: Any = psutil.Process(pid) if pid else None
        while proc is not None and proc.pid > 1:
            chain.append((proc.pid, proc.create_time()))
            proc = proc.parent()
    except psutil.Error:
        pass
    return chain


def _recorded_name(ctx: DoctorContext, pid: int | None) -> str | None:
    """The state.json name of the process (or ancestor) `pid` is, matched by pid + create time."""
    from netra_devtools.launcher.control import recorded

    records = recorded(ctx.state)
    for candidate, started in _lineage(pid):
        for rec in records:
            if rec.pid == candidate and abs(rec.create_time - started) < 1.0:
                return rec.name
    return None


def stack_running(ctx: DoctorContext) -> bool:
    """True when the recorded stack still has its owner: the launcher process, or compose."""
    from netra_devtools.launcher.control import alive

    if ctx.state.get("mode") == "compose":
        return True
    return any(rec.name == "launcher" for rec in alive(ctx.state))


def classify_holder(ctx: DoctorContext, holder: Any) -> str:
    """STACK, ORPHAN or FOREIGN, from what the launcher recorded (nothing is guessed)."""
    if _recorded_name(ctx, holder.pid) is not None:
        return STACK if stack_running(ctx) else ORPHAN
    container = holder.container or {}
    project = ctx.compose_project()
    name = str(container.get("name") or "")
    if ctx.state.get("mode") == "compose" and name.startswith((f"{project}_", f"{project}-")):
        return STACK
    return FOREIGN


def check_ports(ctx: DoctorContext) -> CheckResult:
    """Each stack port is free or held by our running stack; a port an orphan of ours holds is fixable."""
    from netra_devtools.ports import diagnose

    problems: list[str] = []
    fixes: list[str] = []
    orphans: list[int] = []
    held_by_us: list[str] = []
    worst = Status.OK
    free: list[str] = []
    for service, port in ctx.ports().items():
        diag = diagnose(port)
        if diag.bindable:
            free.append(str(port))
            continue
        kinds = {classify_holder(ctx, h) for h in diag.holders}
        who = ", ".join(f"{h.name or '?'} (pid {h.pid})" for h in diag.holders) or "unknown"
        if kinds == {STACK}:
            held_by_us.append(f"{port} ({service})")
        elif kinds == {ORPHAN}:
            problems.append(f"{port} ({service}) held by {who}, an orphan of ours")
            orphans.append(port)
            worst = Status.FAIL
        else:
            problems.append(f"{port} ({service}): {diag.verdict}")
            fixes.extend(f.command for f in diag.fixes[:1])
            # The launcher moves PostgreSQL/ClickHouse to a free port; the backend's is fixed.
            if service == "backend":
                worst = Status.FAIL
            elif worst == Status.OK:
                worst = Status.WARN
    if not problems:
        parts = [f"{'/'.join(free)} free"] if free else []
        if held_by_us:
            parts.append(f"held by our running stack: {', '.join(held_by_us)}")
        return CheckResult(Status.OK, "; ".join(parts))
    fix = "; ".join(fixes) or "invoke fix-port --port N"
    if orphans:
        fix = "; ".join(
            ["invoke doctor --fix (stops the orphans of ours, as `invoke down`)"] + fixes
        )
    return CheckResult(
        worst, "; ".join(problems), fix=fix, fixable=bool(orphans), details={"orphans": orphans}
    )


def free_orphan_ports(ctx: DoctorContext, result: CheckResult) -> FixOutcome:
    """Stop the recorded processes a dead launcher left behind (never another program's)."""
    from netra_devtools.launcher import control
    from netra_devtools.ports import diagnose

    if stack_running(ctx):
        return FixOutcome(False, "the recorded stack is running: `invoke down` stops it")
    done = control.down(ctx.state_directory)
    ctx.state = {}
    still = [str(p) for p in result.details.get("orphans", []) if not diagnose(p).bindable]
    if still:
        return FixOutcome(bool(done), f"still held: {', '.join(still)}")
    return FixOutcome(True, "; ".join(done) or "nothing was running")
