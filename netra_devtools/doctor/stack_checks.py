"""Doctor checks that look at the running stack: migrations, ClickHouse, Docker and the logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netra_backend.redact import mask_url
from netra_devtools.doctor.model import CheckResult, DoctorContext, FixOutcome, Status

if TYPE_CHECKING:
    from netra_devtools.migrate.repair import Inspection

CONNECT_TIMEOUT_S = 3


def check_migrations(ctx: DoctorContext) -> CheckResult:
    """At the newest revision, with what the revisions define, and models that match them."""
    url = ctx.url("DATABASE_URL")
    if not url:
        return CheckResult(Status.SKIPPED, "no database configured", fix="invoke dev")
    from netra_backend.app.config import normalise_database_url
    from netra_devtools.migrate import runner as migrate
    from netra_devtools.migrate.repair import compare_with_revisions
    from netra_devtools.migrate.replay import ReferenceUnavailable

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
    try:
        found = compare_with_revisions(url)
    except ReferenceUnavailable as exc:
        return CheckResult(Status.WARN, f"at head {head}; {exc}")
    return _schema_verdict(head, found)


def _schema_verdict(head: str, found: Inspection) -> CheckResult:
    """Tell the database's drift from the revisions apart from models changed without one."""
    reasons, fixes = [], []
    drift = found.drift
    if drift.missing:
        reasons.append(
            f"the database drifted from the revisions: missing {', '.join(drift.missing)}"
        )
        fixes.append("invoke migrate --repair")
    if drift.needs_person:
        reasons.append(
            "the database drifted from the revisions where a repair never drops or changes:"
            f" {', '.join(drift.needs_person)}"
        )
        fixes.append("change these by hand, or write a revision that does")
    if found.model_changes:
        reasons.append(f"the models changed without a revision: {', '.join(found.model_changes)}")
        fixes.append("write a revision for the model change (docs/MIGRATIONS.md)")
    if not reasons:
        return CheckResult(Status.OK, f"at head {head}, no drift")
    return CheckResult(
        Status.FAIL,
        f"at head {head}, but " + "; ".join(reasons),
        fix="; ".join(fixes),
        fixable=bool(drift.missing),
        details={
            "missing": drift.missing,
            "needs_person": drift.needs_person,
            "model_changes": found.model_changes,
        },
    )


def fix_migrations(ctx: DoctorContext) -> FixOutcome:
    """Upgrade to head, then put back what the revisions define and the database lost."""
    from netra_backend.app.config import normalise_database_url
    from netra_devtools.migrate import runner as migrate
    from netra_devtools.migrate.repair import repair

    url = ctx.url("DATABASE_URL")
    if not url:
        return FixOutcome(False, "no database configured")
    url = normalise_database_url(url)
    version = migrate.migrate(url)
    report = repair(url)
    if not report.statements:
        return FixOutcome(True, f"upgraded to {version}; nothing to repair")
    return FixOutcome(True, f"at {version}; repaired {', '.join(report.missing)}")


def _spool_summary(ctx: DoctorContext) -> tuple[str, dict[str, Any]]:
    import importlib

    try:  # the spool's status API comes with analytics2's branch; until then, no spool summary
        read_status = importlib.import_module("netra_backend.app.analytics.spool.disk").read_status
    except (ImportError, AttributeError):
        return "", {}
    directory = (
        ctx.env.get("CLICKHOUSE_SPOOL_DIR")
        or ctx.state.get("spool_dir")
        or str(ctx.state_directory / "spool")
    )
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
        if required:
            return CheckResult(
                Status.FAIL,
                "CLICKHOUSE_REQUIRED=true but CLICKHOUSE_URL is unset",
                fix="set CLICKHOUSE_URL, or CLICKHOUSE_REQUIRED=false",
            )
        return CheckResult(Status.OK, "analytics disabled (CLICKHOUSE_URL unset)")
    if url.startswith("chdb:"):
        return _check_embedded(url, required)
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


def _check_embedded(url: str, required: bool) -> CheckResult:
    """chdb://PATH: the backend opens it in-process; opening it here would take its lock."""
    import importlib.util

    if importlib.util.find_spec("chdb") is None:
        return CheckResult(
            Status.FAIL if required else Status.WARN,
            f"{url}: the embedded engine (chdb) is not installed; analytics degraded",
            fix='python -m pip install -e ".[embedded]"',
        )
    return CheckResult(
        Status.OK, f"embedded ClickHouse at {url} (opened in-process by the backend)"
    )


def check_docker(ctx: DoctorContext) -> CheckResult:
    """A Docker engine answers (optional: local mode needs none)."""
    from netra_devtools.docker.detect import EngineNotFound, detect

    try:
        detection = detect(ctx.env)
    except EngineNotFound as exc:
        return CheckResult(
            Status.WARN,
            "no engine answered: compose mode unavailable, local mode works",
            fix="start Docker Desktop / dockerd, or set DOCKER_HOST",
            details={"tried": str(exc)},  # every socket/pipe/context tried, for --json
        )
    return CheckResult(
        Status.OK, f"engine at {mask_url(detection.url or '')}", details={"url": detection.url}
    )


LOCAL_LOG_TAIL = 500


def _local_logs(ctx: DoctorContext) -> CheckResult:
    """Known failures in the last lines of the local stack's log files (backend, launcher, ...)."""
    from collections import deque

    from netra_devtools.launcher.control import log_files
    from netra_devtools.learnings import explain_lines

    files = log_files(ctx.state_directory)
    counts: dict[str, int] = {}
    fixes: list[str] = []
    lines = 0
    for name, path in files.items():
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                tail = list(deque(handle, maxlen=LOCAL_LOG_TAIL))
        except OSError:
            continue
        lines += len(tail)
        for _number, signature, learning, _text in explain_lines(tail):
            key = f"{signature.id} in {name}"
            counts[key] = counts.get(key, 0) + 1
            fixes.append(learning.fix_task or learning.title)
    if not counts:
        where = ", ".join(files) or "no log files"
        return CheckResult(Status.OK, f"{lines} recent lines of {where}: no known failure")
    return CheckResult(
        Status.WARN,
        ", ".join(f"{key} x{n}" for key, n in counts.items()),
        fix=fixes[0] + " (`invoke logs` shows them in context)",
        details={"by_signature": counts},
    )


def check_logs(ctx: DoctorContext, since_s: int = 900) -> CheckResult:
    """Known failures in the local stack's log files, or in the compose project's last 15 min."""
    import time

    if ctx.state.get("mode") == "local":
        return _local_logs(ctx)

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
    project = ctx.compose_project()
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
