"""Lifespan: the database is required (bounded retries); optional services start in the background."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient
from netra_backend.app.config import Settings, get_settings
from netra_backend.app.db.database_manager import DatabaseManager
from netra_backend.app.health_monitor import HealthMonitor

log = logging.getLogger("netra_backend.startup")


def open_spool(settings: Settings) -> Any:
    """This replica's spool (`<CLICKHOUSE_SPOOL_DIR>/<replica id>`), with the orphaned spools of
    replicas that are gone; raises when the directory cannot be used (events then get 503)."""
    from netra_backend.app.analytics.spool.adopt import AdoptingSpool, adopt_orphans
    from netra_backend.app.analytics.spool.disk import DiskSpool
    from netra_backend.app.analytics.spool.status import write_owner

    spool = DiskSpool(
        settings.replica_spool_dir,
        max(settings.clickhouse_spool_max_rows, 1),
        max(settings.clickhouse_spool_max_bytes, 1),
        settings.clickhouse_spool_policy,
    )
    try:
        host = "127.0.0.1" if settings.netra_host in ("0.0.0.0", "::") else settings.netra_host
        write_owner(spool.directory, f"http://{host}:{settings.netra_port}")
    except OSError as exc:  # only `invoke spool` uses it, to find the backend
        log.warning("spool owner note not written in %s: %s", spool.directory, exc)
    adopted = adopt_orphans(spool)  # spools of replicas that are gone (their id changed)
    return AdoptingSpool(spool, adopted) if adopted else spool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start: database (required) → analytics (background) → health monitor. Stop: the reverse."""
    settings: Settings = getattr(app.state, "settings", None) or get_settings()
    app.state.settings = settings
    db = DatabaseManager(settings)
    try:
        await asyncio.to_thread(db.wait_until_connected)
    except BaseException:
        db.dispose()
        raise
    analytics = AnalyticsClient(
        ClickHouseConfig.from_settings(settings),
        open_spool=partial(open_spool, settings),
        probe_interval_s=settings.health_interval_s,
        backoff_max_s=settings.clickhouse_retry_max_s,
    )
    await asyncio.to_thread(analytics.start)  # opens the spool; connects on its own thread
    monitor = HealthMonitor(
        db=db,
        analytics=analytics,
        interval_s=settings.health_interval_s,
        probe_timeout_s=settings.health_probe_timeout_s,
        clickhouse_required=settings.clickhouse_required,
    )
    analytics.on_state_change(monitor.wake)  # /health shows a reconnect or a drain at once
    await asyncio.to_thread(monitor.start)
    app.state.db, app.state.analytics, app.state.health_monitor = db, analytics, monitor
    log.info(
        "started: PostgreSQL at %s, analytics %s",
        db.address,
        settings.masked_clickhouse_url() or "disabled (CLICKHOUSE_URL unset)",
    )
    # Everything built so far lives as long as the process; freezing it keeps full garbage
    # collections (50+ ms on a busy machine) from walking it on every cycle, which is what
    # /health's p99 is made of.
    gc.freeze()
    try:
        yield
    finally:
        monitor.stop()
        analytics.close(timeout=settings.connect_timeout_s + 1)  # commits what is queued
        db.dispose()
        log.info("stopped: pools closed, background threads stopped")
