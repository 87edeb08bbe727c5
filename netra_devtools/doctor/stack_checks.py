"""Doctor checks that look at the running stack: ports, migrations, ClickHouse, Docker and its logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netra_devtools.doctor.model import CheckResult, FixOutcome, Status
from netra_devtools.redact import mask_url

if TYPE_CHECKING:
    from netra_devtools.doctor.checks import DoctorContext

# A process whose command line names one of these is part of our stack.
OUR_MARKERS = ("netra_backend", ".netra", "netra_devtools.services")
CONNECT_TIMEOUT_S = 3


def _is_recorded(ctx: DoctorContext, pid: int | None, create_time: float | None) -> bool:
    for proc in ctx.our_processes():
        if proc.get("pid") == pid and (
            create_time is None or abs(float(proc.get("create_time", 0)) - create_time) < 1.0
        ):
            return True
    return False


def _looks_like_ours(cmdline: list[str]) -> bool:
    text = " ".join(cmdline)
    return any(marker in text for marker in OUR_MARKERS)


def check_ports(ctx: DoctorContext) -> CheckResult:
    """Each stack port is free, or held by our running stack; an orphan of ours is fixable."""
    from netra_devtools.ports import diagnose

    problems: list[str] = []
    fixes: list[str] = []
    orphans: list[int] = []
    held_by_us: list[str] = []
    worst = Status.OK
    for service, port in ctx.ports().items():
        diag = diagnose(port)
        if diag.bindable:
            continue
        holders = diag.holders
        if holders and all(_is_recorded(ctx, h.pid, h.create_time) for h in holders):
            held_by_us.append(f"{port} ({service}, our stack)")
            continue
        if holders and all(_looks_like_ours(h.cmdline) for h in holders):
            pids = ", ".join(str(h.pid) for h in holders)
            problems.append(f"{port} held by pid {pids}, an orphan of ours")
            orphans.append(port)
            worst = Status.FAIL
            continue
        problems.append(f"{port} ({service}): {diag.verdict}")
        fixes.extend(f.command for f in diag.fixes[:1])
        # Only the backend's port is fixed; the launcher moves PostgreSQL/ClickHouse elsewhere.
        if service == "backend" and worst != Status.FAIL:
            worst = Status.FAIL
        elif worst == Status.OK:
            worst = Status.WARN
    if not problems:
        reason = "all free" + (
            f"; held by our stack: {', '.join(held_by_us)}" if held_by_us else ""
        )
        return CheckResult(Status.OK, reason)
    fix = "invoke doctor --fix (frees orphans of ours)" if orphans else "; ".join(fixes)
    return CheckResult(
        worst,
        "; ".join(problems),
        fix=fix or "invoke fix-port --port N",
        fixable=bool(orphans),
        details={"orphans": orphans},
    )


def free_orphan_ports(ctx: DoctorContext, result: CheckResult) -> FixOutcome:
    """Free the ports that orphans of ours hold (never another program's)."""
    from netra_devtools.ports import free

    freed, failed = [], []
    for port in result.details.get("orphans", []):
        report = free(port)
        (freed if report.freed else failed).append(str(port))
    if failed:
        return FixOutcome(bool(freed), f"could not free {', '.join(failed)}")
    return FixOutcome(True, f"freed {', '.join(freed)}")


def check_migrations(ctx: DoctorContext) -> CheckResult:
    """The database is at the newest revision, and the models match the schema."""
    url = ctx.url("DATABASE_URL")
    if not url:
        return CheckResult(Status.SKIPPED, "no database configured", fix="invoke dev")
    from netra_backend.app.config import normalise_database_url
    from netra_devtools import migrate

    url = normalise_database_url(url)
    try:
        current = migrate.current_version(url)
    except Exception as exc:  # unreachable database: the postgres check says why
        return CheckResult(Status.SKIPPED, f"database not reachable ({type(exc).__name__})")
    head = migrate.head_version()
    if current != head:
        return CheckResult(
            Status.FAIL,
            f"database at {current}, code at {head}",
            fix="invoke migrate",
            fixable=True,
        )
    drift = migrate.drift(url)
    if drift:
        return CheckResult(
            Status.FAIL,
            f"at head {head} but models differ: {drift}",
            fix="write a migration for the model change",
        )
    return CheckResult(Status.OK, f"at head {head}, no drift")


def upgrade_to_head(ctx: DoctorContext) -> FixOutcome:
    """Run the migrations (idempotent, safe while the backend runs)."""
    from netra_backend.app.config import normalise_database_url
    from netra_devtools import migrate

    url = ctx.url("DATABASE_URL")
    if not url:
        return FixOutcome(False, "no database configured")
    version = migrate.migrate(normalise_database_url(url))
    return FixOutcome(True, f"upgraded to {version}")


def _spool_summary(ctx: DoctorContext) -> tuple[str, dict[str, Any]]:
    try:
        from netra_backend.app.db.spool import read_status
    except ImportError:
        return "", {}
    directory = ctx.env.get("CLICKHOUSE_SPOOL_DIR") or str(ctx.state_directory / "spool")
    status = read_status(directory)
    text = (
        f"spool: {status['pending_rows']} rows pending, oldest {status['oldest_age_s']:.0f}s, "
        f"{status['dropped_rows']} dropped"
    )
    return text, status


def check_clickhouse(ctx: DoctorContext) -> CheckResult:
    """ClickHouse answers, or analytics are correctly degraded (rows spooled, none dropped)."""
    url = ctx.url("CLICKHOUSE_URL")
    required = ctx.env.get("CLICKHOUSE_REQUIRED", "false").lower() in ("1", "true", "yes")
    spool_text, spool = _spool_summary(ctx)
    if not url:
        return CheckResult(Status.OK, "analytics disabled (CLICKHOUSE_URL unset)")
    import clickhouse_connect

    try:
        client = clickhouse_connect.get_client(
            dsn=url, connect_timeout=CONNECT_TIMEOUT_S, send_receive_timeout=CONNECT_TIMEOUT_S
        )
        version = client.server_version
        client.close()
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        status = Status.FAIL if required else Status.WARN
        reason = f"{mask_url(url)} unreachable ({mask_url(message)[:160]}); degraded"
        return CheckResult(
            status,
            "; ".join(filter(None, [reason, spool_text])),
            fix="invoke dev --profile full (or unset CLICKHOUSE_URL)",
            details={"spool": spool},
        )
    if spool.get("dropped_rows"):
        return CheckResult(
            Status.WARN,
            f"ClickHouse {version}; {spool_text}",
            fix="raise CLICKHOUSE_SPOOL_MAX_ROWS/BYTES",
            details={"spool": spool},
        )
    return CheckResult(
        Status.OK,
        "; ".join(filter(None, [f"ClickHouse {version}", spool_text])),
        details={"spool": spool},
    )


def check_docker(ctx: DoctorContext) -> CheckResult:
    """A Docker engine answers (optional: local mode needs none)."""
    from netra_devtools.docker.detect import EngineNotFound, detect

    try:
        detection = detect(ctx.env)
    except EngineNotFound as exc:
        return CheckResult(
            Status.WARN,
            f"no engine: compose mode unavailable, local mode works ({exc})",
            fix="start Docker Desktop / dockerd, or set DOCKER_HOST",
        )
    return CheckResult(
        Status.OK, f"engine at {mask_url(detection.url or '')}", details={"url": detection.url}
    )


def compose_project(ctx: DoctorContext) -> str:
    """The compose project the launcher started (else compose's default: the repo folder)."""
    from netra_devtools.tasks import REPO_ROOT

    recorded = ctx.state.get("compose_project") or ctx.env.get("COMPOSE_PROJECT_NAME")
    return str(recorded or REPO_ROOT.name).lower()


def check_logs(ctx: DoctorContext, since_s: int = 900) -> CheckResult:
    """Known failures (learnings) in the last 15 minutes of the stack's container logs."""
    import time

    from netra_devtools.docker.detect import EngineNotFound, detect
    from netra_devtools.docker.sources import SourceError, container_sources
    from netra_devtools.learnings import SPEC_DIR, load_catalog
    from netra_devtools.learnings.introspect import Summary, scan_sources
    from netra_devtools.learnings.matcher import Matcher

    try:
        url = detect(ctx.env).url
    except EngineNotFound:
        return CheckResult(Status.SKIPPED, "no Docker engine: no container logs to read")
    import docker

    client = docker.DockerClient(base_url=url, timeout=10)
    project = compose_project(ctx)
    try:
        sources = container_sources(client, project, since=int(time.time()) - since_s)
    except SourceError as exc:
        client.close()
        return CheckResult(Status.SKIPPED, str(exc))
    catalog = load_catalog(SPEC_DIR)
    summary = Summary()
    try:
        findings = list(scan_sources(Matcher(catalog.signatures), sources, summary))
    finally:
        client.close()
    if not findings:
        return CheckResult(
            Status.OK, f"{summary.lines} recent lines of {project!r}: no known failure"
        )
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.signature] = counts.get(finding.signature, 0) + 1
    first = catalog.learning(catalog.signature(next(iter(counts))).learning_id)
    listed = ", ".join(f"{sig} x{n}" for sig, n in counts.items())
    return CheckResult(
        Status.WARN,
        f"{project!r}: {listed}",
        fix=first.fix_task or first.fix,
        details={"by_signature": counts},
    )
