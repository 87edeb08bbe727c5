"""What a doctor check is and what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A check's verdict; `fail` makes the doctor exit 1."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"
    CRASHED = "crashed"


@dataclass
class CheckResult:
    """The outcome of one check: verdict, why, and how to fix it."""

    status: Status
    reason: str
    fix: str = ""
    fixable: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class FixOutcome:
    """What `--fix` did for one check."""

    applied: bool
    message: str


@dataclass(frozen=True)
class Check:
    """A named check; `repair` is its safe fix, `destructive` asks before applying it."""

    name: str
    title: str
    run: Callable[[], CheckResult]
    repair: Callable[[CheckResult], FixOutcome] | None = None
    destructive: bool = False
