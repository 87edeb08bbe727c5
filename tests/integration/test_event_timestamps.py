"""Every timestamp the event schema accepts is stored as that instant in ClickHouse; every other one
is a 422 naming `timestamp`, never a 500 (a real backend, the embedded ClickHouse engine)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from clickhouse_connect.driver.exceptions import DatabaseError

from netra_devtools.services.backend import BackendProcess
from tests.integration.test_analytics_end_to_end import (
    _wait,
    backend_factory,  # noqa: F401 - the fixture
)
from tests.integration.test_clickhouse_service import connect

STORED = {  # sent -> what ClickHouse holds (UTC, milliseconds)
    "1900-01-01T00:00:00Z": "1900-01-01 00:00:00.000",
    "1900-01-01T05:30:00+05:30": "1900-01-01 00:00:00.000",
    "2299-12-31T23:59:59.999Z": "2299-12-31 23:59:59.999",
    "2299-12-31T09:59:59-14:00": "2299-12-31 23:59:59.000",
    "2026-01-02T03:04:05": "2026-01-02 03:04:05.000",  # naive means UTC
    "1970-01-01T00:00:00+00:00": "1970-01-01 00:00:00.000",
}
REFUSED = [
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC: was a 500 (OverflowError in to_row)
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC: was a 500
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59.999Z",
    "2300-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
]


def _stored_timestamps(url: str, tag: str) -> dict[str, str]:
    client = connect(url)
    try:
        rows = client.query(
            "SELECT JSONExtractString(properties, 'sent'), toString(timestamp) FROM events "
            "WHERE event_type = {t:String}",
            parameters={"t": tag},
        ).result_rows
    finally:
        client.close()
    return {str(sent): str(stored) for sent, stored in rows}


def test_timestamps_at_the_edges_are_stored_or_refused_by_name(
    backend_factory: Callable[..., BackendProcess],  # noqa: F811
    clickhouse_url: str,
) -> None:
    backend = backend_factory(CLICKHOUSE_URL=clickhouse_url)
    tag = f"ts-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=backend.base_url, timeout=10) as http:
        for sent in REFUSED:
            for body in ({"event_type": tag, "timestamp": sent},
                         [{"event_type": tag}, {"event_type": tag, "timestamp": sent}]):  # fmt: skip
                answer = http.post("/api/events", json=body)
                assert answer.status_code == 422, (sent, answer.text)
                named = [e for e in answer.json()["detail"] if e["loc"][-1] == "timestamp"]
                assert named and "out of range" in named[0]["msg"], answer.text
        events = [{"event_type": tag, "timestamp": t, "properties": {"sent": t}} for t in STORED]
        assert http.post("/api/events", json=events).status_code == 202
    stored: dict[str, Any] = {}

    def all_stored() -> bool:
        try:
            stored.update(_stored_timestamps(clickhouse_url, tag))
        except DatabaseError as exc:  # the backend creates `events` once it first connects
            if "UNKNOWN_TABLE" not in str(exc):
                raise
        return len(stored) == len(STORED)

    _wait(all_stored, 30, "the events in ClickHouse")
    assert stored == STORED
    assert "Traceback" not in backend.log_text()
