"""The doctor's port check: free, held by our running stack, or held by an orphan of ours (fixable).

Whose a holder is, and what may be stopped without asking, is the port doctor's consent rule
(`netra_devtools.ports`, the one place that decides, shared with `fix-port`): a process recorded
in `.netra/state.json` (pid + create time) is "our stack" while its launcher runs (or the compose
project is recorded), "an orphan of ours" once the launcher is gone. Anything else is foreign and
is never stopped here: the port doctor's fix is shown instead.
"""

from __future__ import annotations

from typing import Any

from netra_devtools.doctor.model import CheckResult, DoctorContext, FixOutcome, Status


def classify_holder(ctx: DoctorContext, holder: Any) -> str:
    """ "orphan", "stack" or "foreign", by the port doctor's rule (nothing is guessed)."""
    from netra_devtools.ports import ownership

    return ownership(holder, ctx.state, ctx.compose_project())


def check_ports(ctx: DoctorContext) -> CheckResult:
    """Each stack port is free or held by our running stack; a port an orphan of ours holds is fixable."""
    from netra_devtools.ports import ORPHAN, STACK, diagnose

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


def _not_orphans(ctx: DoctorContext, ports: list[int]) -> list[str]:
    """Holders of `ports` that the consent rule does not let us stop without asking."""
    from netra_devtools.ports import ORPHAN, diagnose

    return [
        f"{port}: {h.name or '?'} (pid {h.pid})"
        for port in ports
        for h in diagnose(port).holders
        if classify_holder(ctx, h) != ORPHAN
    ]


def free_orphan_ports(ctx: DoctorContext, result: CheckResult) -> FixOutcome:
    """Stop the recorded processes a dead launcher left behind (never another program's).

    The port doctor's rule decides, on a fresh look: every holder must still be an orphan of
    ours; the orphaned stack is then stopped as `invoke down` stops it.
    """
    from netra_devtools.launcher import control
    from netra_devtools.ports import diagnose, stack_running

    if stack_running(ctx.state):
        return FixOutcome(False, "the recorded stack is running: `invoke down` stops it")
    ports = [int(p) for p in result.details.get("orphans", [])]
    foreign = _not_orphans(ctx, ports)
    if foreign:
        return FixOutcome(
            False, f"not ours (use `invoke fix-port`, which asks first): {', '.join(foreign)}"
        )
    done = control.down(ctx.state_directory)
    ctx.state = {}
    still = [str(p) for p in ports if not diagnose(p).bindable]
    if still:
        return FixOutcome(bool(done), f"still held: {', '.join(still)}")
    return FixOutcome(True, "; ".join(done) or "nothing was running")
