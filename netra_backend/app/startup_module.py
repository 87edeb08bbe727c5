"""Lifespan: the database is required (bounded retries); optional services start in the background."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import AnalyticsClient
from netra_backend.app.analytics.fallback import Fallback, MemoryFallback
from netra_backend.app.config import Settings, get_settings
from netra_backend.app.db.database_manager import DatabaseManager
from netra_backend.app.health_monitor import HealthMonitor

log = logging.getLogger("netra_backend.startup")


def make_fallback(settings: Settings) -> Fallback:
    """This replica's durable disk spool (`<CLICKHOUSE_SPOOL_DIR>/<replica id>`); bounded memory
    only as the last resort when that directory is unusable, with a warning health shows."""
    max_rows = max(settings.clickhouse_spool_max_rows, 1)
    max_bytes = max(settings.clickhouse_spool_max_bytes, 1)
    if not settings.clickhouse_url:
        return MemoryFallback(max_rows, max_bytes)  # analytics disabled: nothing is ever spooled
    from netra_backend.app.analytics.spool.disk import DiskSpool
    from netra_backend.app.analytics.spool.status import write_owner

    directory = settings.replica_spool_dir
    try:
        spool = DiskSpool(directory, max_rows, max_bytes, settings.clickhouse_spool_policy)
    except Exception as exc:  # held by a replica with the same id, unwritable: never block startup
        warning = (
            f"disk spool {directory} unusable ({exc}); rows wait in memory and are lost on "
            "restart (set NETRA_REPLICA_ID per replica, or a writable CLICKHOUSE_SPOOL_DIR)"
        )
        log.warning("%s", warning)
        return MemoryFallback(max_rows, max_bytes, warning=warning)
    try:
        host = "127.0.0.1" if settings.netra_host in ("0.0.0.0", "::") else settings.netra_host
        write_owner(spool.directory, f"http://{host}:{settings.netra_port}")
    except OSError as exc:  # only `invoke spool` uses it, to find the backend
        log.warning("spool owner note not written in %s: %s", directory, exc)
    from netra_backend.app.analytics.spool.adopt import AdoptingSpool, adopt_orphans

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
        fallback=make_fallback(settings),
        probe_interval_s=settings.health_interval_s,
        backoff_max_s=settings.clickhouse_retry_max_s,
    )
    analytics.start()  # returns at once: connecting happens on its own thread
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
        analytics.close(timeout=settings.connect_timeout_s + 1)
        close_fallback = getattr(analytics.fallback, "close", None)
        if callable(close_fallback):
            close_fallback()
        db.dispose()
        log.info("stopped: pools closed, background threads stopped")
