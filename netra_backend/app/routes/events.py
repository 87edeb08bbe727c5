"""Analytics events: 202 once they are durable (in this replica's spool), whether ClickHouse is up
or not; 503 with Retry-After when nothing can keep them. Stats are read from ClickHouse."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from netra_backend.app.analytics.client import (
    AnalyticsClient,
    AnalyticsRefused,
    AnalyticsUnavailable,
)
from netra_backend.app.analytics.schema import EVENTS_TABLE

router = APIRouter(prefix="/api/events", tags=["events"])
MAX_EVENTS_PER_REQUEST = 1000
STATS_TIMEOUT_S = 2.0
# What the events table's DateTime64(3, 'UTC') column holds; outside it a row could not be stored.
EARLIEST_TIMESTAMP = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2299, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)


class EventIn(BaseModel):
    """One analytics event as clients send it; every value it accepts can be stored."""

    event_type: str = Field(min_length=1, max_length=100)
    user_id: str | None = Field(default=None, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)
    # naive means UTC; validated to an aware UTC datetime inside the column's range
    timestamp: datetime | None = None

    @field_validator("timestamp")
    @classmethod
    def _storable_utc(cls, value: datetime | None) -> datetime | None:
        """UTC, within what the events table can hold (else a 422 naming `timestamp`)."""
        if value is None:
            return None
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        try:
            utc: datetime | None = aware.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 lies in year 0 in UTC
            utc = None
        if utc is None or not EARLIEST_TIMESTAMP <= utc <= LATEST_TIMESTAMP:
            raise ValueError(
                f"timestamp out of range: must lie between {EARLIEST_TIMESTAMP:%Y-%m-%d} and "
                f"{LATEST_TIMESTAMP:%Y-%m-%d} (UTC)"
            )
        return utc


_PROPERTIES = json.JSONEncoder(separators=(",", ":"), default=str)  # built once, not per event


def event_ids(count: int) -> list[str]:
    """`count` random version-4 UUIDs as hex, from one read of the system's randomness."""
    raw = bytearray(os.urandom(16 * count))
    for at in range(0, len(raw), 16):
        raw[at + 6] = raw[at + 6] & 0x0F | 0x40  # version 4
        raw[at + 8] = raw[at + 8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return [text[at : at + 32] for at in range(0, len(text), 32)]


def to_rows(events: list[EventIn]) -> list[dict[str, Any]]:
    """JSON-friendly ClickHouse rows. Event ids are assigned here so replays can be deduplicated;
    an event without a timestamp gets the time its request arrived."""
    received = datetime.now(UTC).isoformat()
    return [
        {
            "event_id": event_id,
            "event_type": event.event_type,
            "user_id": event.user_id,
            "properties": _PROPERTIES.encode(event.properties),
            # validated to aware UTC (naive means UTC)
            "timestamp": received if event.timestamp is None else event.timestamp.isoformat(),
        }
        for event, event_id in zip(events, event_ids(len(events)), strict=True)
    ]


def _analytics(request: Request) -> AnalyticsClient:
    analytics: AnalyticsClient | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise HTTPException(503, detail="starting: analytics not initialised")
    return analytics


ACCEPTED = (
    "Every event is durable: fsync'd in this replica's spool (or analytics is disabled, "
    "CLICKHOUSE_URL unset, and events are discarded by configuration). Each one reaches "
    "ClickHouse once, or is counted as dropped in /health past the configured spool limit."
)
REFUSED = (
    "Nothing was kept: no event of the request is stored. `detail` says why (the spool's disk "
    "is full or failing, the spool is at its limit, or no spool could be opened), naming the "
    "directory; send the same events again after `Retry-After` seconds."
)


@router.post(
    "",
    status_code=202,
    responses={202: {"description": ACCEPTED}, 503: {"description": REFUSED}},
)
async def post_events(
    request: Request,
    body: Annotated[
        EventIn | Annotated[list[EventIn], Field(min_length=1, max_length=MAX_EVENTS_PER_REQUEST)],
        Body(),
    ],
) -> dict[str, int]:
    """Accept one event or a list: 202 once durable, never waiting on ClickHouse; else 503."""
    events = body if isinstance(body, list) else [body]
    rows = to_rows(events)
    try:
        await asyncio.wrap_future(_analytics(request).submit(EVENTS_TABLE, rows))
    except AnalyticsRefused as exc:
        raise HTTPException(
            503, detail=f"events not accepted: {exc}",
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from None  # fmt: skip
    return {"accepted": len(rows)}


@router.get("/stats")
async def event_stats(request: Request) -> dict[str, Any]:
    """Events per type from ClickHouse; 503 with the reason while it is away."""
    analytics = _analytics(request)
    try:
        counts = await asyncio.wait_for(
            asyncio.to_thread(analytics.event_counts, STATS_TIMEOUT_S), STATS_TIMEOUT_S + 0.5
        )
    except AnalyticsUnavailable as exc:
        raise HTTPException(503, detail=f"analytics unavailable: {exc}") from None
    except TimeoutError:
        raise HTTPException(
            503, detail="analytics unavailable: ClickHouse did not answer"
        ) from None
    return {"counts": counts, "total": sum(counts.values())}
