"""What a doctor check is, what it reports, and what it looks at (DoctorContext)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from netra_devtools.paths import COMPOSE_FILE
from netra_devtools.state import load_state, state_dir

STACK_PORTS = {"backend": 8000, "postgres": 5432, "clickhouse": 8123}


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


@dataclass
class DoctorContext:
    """What the checks look at: the environment, and what the launcher recorded."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    state: dict[str, Any] = field(default_factory=load_state)
    state_directory: Path = field(default_factory=state_dir)

    def url(self, name: str) -> str | None:
        """A URL from the environment, else from `.netra/state.json`."""
        value = self.env.get(name) or self.state.get("urls", {}).get(name)
        return value or None

    def ports(self) -> dict[str, int]:
        """The stack's ports: recorded by the launcher, else NETRA_*_PORT, else 8000/5432/8123."""
        # the documented overrides (.env.example: NETRA_BACKEND_PORT, ...) move the defaults
        ports = {
            service: int(self.env.get(f"NETRA_{service.upper()}_PORT") or default)
            for service, default in STACK_PORTS.items()
        }
        # compose mode publishes on the ports its environment named (NETRA_BACKEND_PORT, ...)
        compose_env = (self.state.get("compose") or {}).get("env") or {}
        for service in ports:
            value = compose_env.get(f"NETRA_{service.upper()}_PORT")
            if value:
                ports[service] = int(value)
        ports.update({k: int(v) for k, v in (self.state.get("ports") or {}).items()})
        return ports

    def our_processes(self) -> list[dict[str, Any]]:
        """Processes the launcher recorded (name, pid, create_time)."""
        return list(self.state.get("processes", []))

    def compose_project(self) -> str:
        """The compose project the launcher started (else compose's default: the file's folder)."""
        recorded = (self.state.get("compose") or {}).get("project") or self.env.get(
            "COMPOSE_PROJECT_NAME"
        )
        return str(recorded or COMPOSE_FILE.parent.name).lower()
