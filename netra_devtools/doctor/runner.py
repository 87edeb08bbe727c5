"""Run doctor checks in isolation, apply safe fixes, and render the verdicts."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netra_devtools.doctor.model import Check, CheckResult, FixOutcome, Status

__all__ = ["Status", "Verdict", "overall", "print_table", "run_all", "to_json"]
from netra_backend.redact import mask_secrets


@dataclass
class Verdict:
    """One check's result, and what its fix did when `--fix` was given."""

    check: Check
    result: CheckResult
    fix: FixOutcome | None = None


def run_check(check: Check) -> CheckResult:
    """Run one check; a check that raises is reported as crashed, never stops the others."""
    try:
        return check.run()
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else ""
        return CheckResult(
            Status.CRASHED,
            f"check crashed: {type(exc).__name__}: {exc}{where}",
            fix="report this: run with --verbose for the traceback",
        )


def apply_fix(check: Check, result: CheckResult, confirm: Callable[[str], bool]) -> FixOutcome:
    """Apply a check's safe fix, asking first when it is destructive."""
    if check.repair is None or not result.fixable:
        return FixOutcome(False, "no automatic fix")
    if check.destructive and not confirm(f"{check.title}: {result.fix}. Apply?"):
        return FixOutcome(False, "declined")
    try:
        return check.repair(result)
    except Exception as exc:
        return FixOutcome(False, f"fix failed: {type(exc).__name__}: {exc}")


def run_all(
    checks: Sequence[Check], *, fix: bool = False, confirm: Callable[[str], bool] = lambda _: False
) -> list[Verdict]:
    """Run every check; with `fix`, repair what can be repaired and check it again."""
    verdicts = []
    for check in checks:
        result = run_check(check)
        outcome = None
        if fix and result.status in (Status.FAIL, Status.WARN) and result.fixable:
            outcome = apply_fix(check, result, confirm)
            if outcome.applied:
                result = run_check(check)
        verdicts.append(Verdict(check, result, outcome))
    return verdicts


def overall(verdicts: Sequence[Verdict]) -> Status:
    """fail when any check failed or crashed, warn when any warned, else ok."""
    statuses = {v.result.status for v in verdicts}
    if statuses & {Status.FAIL, Status.CRASHED}:
        return Status.FAIL
    return Status.WARN if Status.WARN in statuses else Status.OK


def to_json(verdicts: Sequence[Verdict]) -> str:
    """The machine form: one JSON object."""
    checks: list[dict[str, Any]] = []
    for v in verdicts:
        entry: dict[str, Any] = {
            "name": v.check.name,
            "title": v.check.title,
            "status": v.result.status.value,
            "reason": v.result.reason,
            "fix": v.result.fix,
            "fixable": v.result.fixable,
            "details": v.result.details,
        }
        if v.fix is not None:
            entry["fixed"] = {"applied": v.fix.applied, "message": v.fix.message}
        checks.append(entry)
    summary: dict[str, int] = {}
    for v in verdicts:
        summary[v.result.status.value] = summary.get(v.result.status.value, 0) + 1
    return mask_secrets(
        json.dumps({"status": overall(verdicts).value, "checks": checks, "summary": summary})
    )


_STYLE = {
    Status.OK: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.SKIPPED: "dim",
    Status.CRASHED: "bold red",
}


def print_table(verdicts: Sequence[Verdict]) -> None:
    """The human form: a rich table, one row per check."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="netra doctor", show_lines=False)
    for column in ("check", "status", "why", "fix"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        status = v.result.status
        fix = v.result.fix
        if v.fix is not None:
            fix = f"{'fixed' if v.fix.applied else 'not fixed'}: {v.fix.message}"
        table.add_row(
            v.check.name,
            f"[{_STYLE[status]}]{status.value}[/]",
            mask_secrets(v.result.reason),
            mask_secrets(fix),
        )
    console = Console()
    console.print(table)
    console.print(f"overall: {overall(verdicts).value}")
