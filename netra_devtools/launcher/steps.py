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
    """Who holds `port`, as the port doctor's verdict says it ("port 8000 is in use by ...")."""
    from netra_devtools.ports import diagnose

    try:
        return str(diagnose(port).verdict)
    except Exception:  # the hint must never hide the real error
        return f"port {port} is in use"


def port_busy_message(port: int, other_port_command: str) -> str:
    """One sentence: who holds the port, and both fixes (free it, or take a free port)."""
    from netra_devtools.ports import port_is_free

    spare = next((p for p in range(port + 1, min(port + 20, 65536)) if port_is_free(p)), None)
    return (
        f"{describe_port_holder(port)}: run `invoke fix-port --port {port}` to free it, "
        f"or use another port with `{other_port_command} {spare or 'N'}`"
    )


# --- the full URLs, for people (.netra/.env) ---------------------------------------------------


def write_env_file(root: Path, urls: dict[str, str]) -> Path:
    """`<root>/.env` holding `urls` in full (passwords included), created 0600: the terminal only
    ever shows them masked, this file is where a person copies them from."""
    import os

    root.mkdir(parents=True, exist_ok=True)
    path = root / ".env"
    lines = ["# the local stack's URLs, written by `invoke dev` (passwords included: keep private)"]
    lines += [f"{name}='{url}'" for name, url in urls.items()]
    tmp = path.with_name(".env.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


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
