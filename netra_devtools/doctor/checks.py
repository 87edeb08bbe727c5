"""The doctor's checks in the order it runs them, assembled from the modules that hold them."""

from __future__ import annotations

from netra_devtools.doctor import dependency_checks, port_check, stack_checks
from netra_devtools.doctor.model import Check, DoctorContext


def all_checks(ctx: DoctorContext | None = None) -> list[Check]:
    """Every check, in the order the doctor runs them."""
    ctx = ctx or DoctorContext()
    return [
        Check("python", "Python and dependencies", lambda: dependency_checks.check_python(ctx)),
        Check("docker", "Docker engine", lambda: stack_checks.check_docker(ctx)),
        Check(
            "ports",
            "Ports 8000/5432/8123",
            lambda: port_check.check_ports(ctx),
            repair=lambda r: port_check.free_orphan_ports(ctx, r),
            destructive=True,
        ),
        Check("postgres", "PostgreSQL reachable", lambda: dependency_checks.check_postgres(ctx)),
        Check(
            "migrations",
            "Migrations at head, no drift",
            lambda: stack_checks.check_migrations(ctx),
            repair=lambda r: stack_checks.fix_migrations(ctx),
        ),
        Check(
            "clickhouse",
            "ClickHouse reachable or degraded",
            lambda: stack_checks.check_clickhouse(ctx),
        ),
        Check("logs", "Recent container logs", lambda: stack_checks.check_logs(ctx)),
    ]


__all__ = ["DoctorContext", "all_checks"]
