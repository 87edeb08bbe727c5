"""Loopback-only admin endpoints for the analytics spool (what `invoke spool` calls while the
backend runs and holds the spool's lock): drain now, discard, status.

The backend drains its spool by itself as soon as ClickHouse answers again; `drain` only cuts the
current reconnect backoff short and waits (bounded) until the spool is empty or the retry failed.

A request must come from loopback, name a loopback Host (a DNS-rebinding page names its own),
carry no foreign Origin, and present the admin token (`app/admin_token.py`) in a custom header: a
browser can send none of these cross-site without a CORS preflight, which this app never grants.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import time
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request

from netra_backend.app.admin_token import (
    TOKEN_HEADER,
    discard_token,
    issue_token,
    read_token,
    token_matches,
)
from netra_backend.app.analytics.client import AnalyticsClient, AnalyticsState

router = APIRouter(prefix="/api/admin/spool", tags=["admin"])
MAX_WAIT_S = 60.0
LOOPBACK_NAMES = ("localhost",)
log = logging.getLogger("netra_backend.admin")


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # not an address (a proxy's name, a test client): not loopback
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def _host_name(authority: str) -> str:
    """The host of a `host[:port]` authority (IPv6 in brackets)."""
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def refusal(request: Request) -> str | None:
    """Why this request may not administer the spool (None: it may)."""
    client = request.client.host if request.client else ""
    if not _is_loopback(client):
        return "spool administration is allowed from loopback only"
    host = request.headers.get("host", "")
    if not _is_loopback(_host_name(host)):
        return "spool administration needs a loopback Host header"
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{host}":
        return "spool administration refuses cross-origin requests"
    if request.headers.get("sec-fetch-site", "none") not in ("none", "same-origin"):
        return "spool administration refuses cross-site requests"
    expected = getattr(request.app.state, "admin_token", None)
    if not token_matches(expected, request.headers.get(TOKEN_HEADER)):
        return (
            f"spool administration needs the admin token ({TOKEN_HEADER}; `invoke spool` sends it)"
        )
    return None


def _local_analytics(request: Request) -> AnalyticsClient:
    """The app's analytics client, for authorised loopback callers only (403 for anyone else)."""
    reason = refusal(request)
    if reason is not None:
        raise HTTPException(403, detail=reason)
    analytics: AnalyticsClient | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise HTTPException(503, detail="starting: analytics not initialised")
    return analytics


def issue_admin_token(app: FastAPI) -> None:
    """At startup: a token for `invoke spool`, next to the owner note of the spool this process
    holds (none when it holds no disk spool: then there is nothing to administer from outside)."""
    from netra_backend.app.analytics.spool.status import read_owner

    app.state.admin_token = None
    settings = app.state.settings
    directory = settings.replica_spool_dir
    if not settings.clickhouse_url or read_owner(directory).get("pid") != os.getpid():
        return
    try:
        app.state.admin_token = issue_token(directory)
    except OSError as exc:
        log.warning("admin token not written in %s (invoke spool cannot reach us): %s",
                    directory, exc)  # fmt: skip


def withdraw_admin_token(app: FastAPI) -> None:
    """At shutdown: remove the token this process wrote (unless another process replaced it)."""
    token = getattr(app.state, "admin_token", None)
    directory = app.state.settings.replica_spool_dir
    if token and read_token(directory) == token:
        discard_token(directory)
    app.state.admin_token = None


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
