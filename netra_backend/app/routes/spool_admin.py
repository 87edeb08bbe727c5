"""Loopback-only admin endpoints for the analytics spool (what `invoke spool` calls while the
backend runs and holds the spool's lock): drain now, discard, status.

The backend drains its spool by itself as soon as ClickHouse answers again; `drain` only cuts the
current reconnect backoff short and waits (bounded) until the spool is empty or the retry failed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState

router = APIRouter(prefix="/api/admin/spool", tags=["admin"])
MAX_WAIT_S = 60.0


def _local_analytics(request: Request) -> AnalyticsClient:
    """The app's analytics client, for loopback callers only (403 for anyone else)."""
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # not an address (a proxy's name, a test client): not loopback
        loopback = False
    if not loopback:
        raise HTTPException(403, detail="spool administration is allowed from loopback only")
    analytics: AnalyticsClient | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise HTTPException(503, detail="starting: analytics not initialised")
    return analytics


def _snapshot(analytics: AnalyticsClient) -> dict[str, Any]:
    status = analytics.spool_status()
    return {"state": analytics.state.value, "reason": analytics.health()["reason"], **status}


@router.get("")
async def spool_status(request: Request) -> dict[str, Any]:
    """The spool's status as the backend sees it, with the connection state."""
    analytics = _local_analytics(request)
    return await asyncio.to_thread(_snapshot, analytics)


@router.post("/drain")
async def drain(
    request: Request, timeout: float = Query(10.0, gt=0, le=MAX_WAIT_S)
) -> dict[str, Any]:
    """Retry ClickHouse now and wait up to `timeout` s for the spool to empty."""
    analytics = _local_analytics(request)
    if analytics.state is AnalyticsState.DISABLED:
        raise HTTPException(
            409, detail="analytics disabled (CLICKHOUSE_URL unset): nothing to drain"
        )
    analytics.drain_now()
    deadline = time.monotonic() + timeout
    while True:
        snapshot = await asyncio.to_thread(_snapshot, analytics)
        done = snapshot["pending_rows"] == 0 and analytics.state is AnalyticsState.CONNECTED
        if done or time.monotonic() >= deadline:
            return {"drained": done, **snapshot}
        await asyncio.sleep(0.1)


@router.post("/discard")
async def discard(request: Request) -> dict[str, Any]:
    """Delete every pending row (the caller confirmed); returns how many."""
    analytics = _local_analytics(request)
    if analytics.spool is None:
        raise HTTPException(409, detail="this backend has no spool; nothing to discard")
    count = int(await asyncio.to_thread(analytics.spool.discard))
    return {"discarded": count, **(await asyncio.to_thread(_snapshot, analytics))}
