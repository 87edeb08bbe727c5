"""The launcher's hooks into the other parts (migrations, analytics, backend, ports, learnings).

Every call into code owned elsewhere goes through one function here, so wiring the launcher to
the real APIs is a one-module change. A part that is missing is detected (ImportError, missing
file) and reported as `unavailable` with the reason: the launcher never pretends it ran.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StepResult:
    """What one step did: status ok | unavailable | disabled | failed, and a one-line detail."""

    status: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the step ran and succeeded."""
        return self.status == "ok"


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# --- migrations (netra_devtools/migrate/runner.py) ----------------------------------------------------


def run_migrations(database_url: str) -> StepResult:
    """Upgrade `database_url` to head (idempotent, safe when several runners start together)."""
    from netra_devtools.errors import MigrationFailed
    from netra_devtools.migrate.runner import migrate

    try:
        version = migrate(database_url)
    except MigrationFailed as exc:
        return StepResult("failed", f"migrations failed: {exc}")
    return StepResult("ok", f"migrations at head ({version})")


# --- analytics (netra_devtools/services/clickhouse.py) --------------------------------------


def chdb_installed() -> bool:
    """True when the embedded ClickHouse engine (chdb, the `embedded` extra) is importable."""
    return _module_exists("chdb")


def start_analytics(data_dir: Path, port: int) -> StepResult:
    """Start the embedded ClickHouse behind a loopback HTTP endpoint; data["handle"] stops it."""
    if not chdb_installed():
        return StepResult(
            "disabled",
            'analytics disabled: install the embedded extra (pip install -e ".[embedded]")',
        )
    from netra_devtools.services import clickhouse

    try:
        handle = clickhouse.start_embedded(data_dir, port)
    except (clickhouse.ClickHouseUnavailable, clickhouse.ClickHouseStartError) as exc:
        return StepResult("failed", f"analytics did not start: {exc}")
    return StepResult(
        "ok", f"embedded ClickHouse on 127.0.0.1:{port}", {"handle": handle, "url": handle.url}
    )


def stop_analytics(handle: Any) -> None:
    """Stop what start_analytics started."""
    handle.stop()


def analytics_pid(handle: Any) -> int | None:
    """The pid of the embedded ClickHouse bridge process."""
    process = getattr(handle, "process", None)
    return process.pid if process is not None else None


# --- backend (netra_backend.__main__) ----------------------------------------------------------


def backend_available() -> StepResult:
    """Whether `python -m netra_backend` exists in this checkout."""
    if _module_exists("netra_backend.__main__"):
        return StepResult("ok", "python -m netra_backend")
    return StepResult(
        "unavailable", "backend not available yet (netra_backend/__main__.py missing)"
    )


def backend_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The command that serves the backend (the entry point validates Settings and the database)."""
    return [sys.executable, "-m", "netra_backend", "--host", host, "--port", str(port)]


# --- ports (netra_devtools/ports) --------------------------------------------------------------


def describe_port_holder(port: int) -> str:
    """One line on who holds `port`, from the port doctor."""
    from netra_devtools.ports import diagnose

    try:
        return diagnose(port).verdict
    except Exception as exc:  # the hint must never hide the real error
        return f"port doctor failed: {type(exc).__name__}"


# --- learnings (netra_devtools/learnings) ------------------------------------------------------


def match_learnings(lines: Iterable[str], source: str) -> StepResult:
    """Known failures found in `lines` (data["findings"]: dicts with signature, learning, text)."""
    from netra_devtools.learnings import explain_lines

    findings = [
        {
            "signature": sig.id,
            "learning": learning.id,
            "line": number,
            "text": text,
            "source": source,
            "fix": learning.fix_task,
        }
        for number, sig, learning, text in explain_lines(lines)
    ]
    return StepResult("ok", f"{len(findings)} known failure(s)", {"findings": findings})
