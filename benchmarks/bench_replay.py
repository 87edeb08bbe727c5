"""Spool shipping ("replay") throughput into the embedded ClickHouse engine against insert_events
of the same rows from memory, and the overhead of AnalyticsClient.submit() (group commit, fsync,
the shipper's insert, until stored) and of insert_events, each against clickhouse-connect's
client.insert of the same batch.

Both against the real engine behind its loopback HTTP bridge (netra_devtools.services.clickhouse),
with stock clickhouse-connect. Medians of several rounds; ours and anchor measured in the same
run, interleaved.

    $ python -m benchmarks.bench_replay
    {"measurement": "spool replay throughput into the embedded engine", "ours": 98000.0, ...}
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import clickhouse_connect

from benchmarks._timing import at_least_x, at_most_x
from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
from netra_backend.app.analytics.client import SHIP_EVERY_S, AnalyticsClient, AnalyticsState
from netra_backend.app.analytics.schema import (
    EVENTS_COLUMNS,
    EVENTS_TABLE,
    ensure_schema,
    event_rows_text,
    insert_batch,
    insert_events,
)
from netra_backend.app.analytics.spool.disk import DiskSpool
from netra_backend.app.analytics.spool.records import encode_rows_record
from netra_devtools.services.clickhouse import start_embedded

COMMAND = "python -m benchmarks.bench_replay"
REPLAY_ROWS = 100_000
SPOOL_BATCH = 100  # rows per spool() call, as a request-sized batch
INSERT_BATCH = 1_000  # rows per healthy insert
ROUNDS = 5
REPLAY_GOAL_RATIO = 0.8
OVERHEAD_GOAL_RATIO = 1.2
DURABLE_GOAL_RATIO = 2.0


def _events(count: int, start: int = 0) -> list[dict[str, Any]]:
    stamp = datetime.now(UTC)
    return [
        {
            "event_id": f"e{i}",
            "event_type": ("click", "view", "signup")[i % 3],
            "user_id": f"u{i % 97}" if i % 4 else None,
            "properties": {"page": f"/p/{i % 13}", "n": i},
            "timestamp": stamp,
        }
        for i in range(start, start + count)
    ]


def _as_the_backend_keeps(rows: list[dict[str, Any]]) -> bytes:
    """One spool record of `rows`, as AnalyticsClient.submit() writes events (the rows layout)."""
    return encode_rows_record(EVENTS_TABLE, list(EVENTS_COLUMNS), event_rows_text(rows), len(rows))


def _replay_rate(client: Any, workdir: Path, rows: list[dict[str, Any]]) -> float:
    """Rows per second that a full spool ships into ClickHouse (read back from its files)."""
    directory = workdir / f"spool-{uuid.uuid4().hex[:8]}"
    with DiskSpool(directory, max_rows=len(rows) + 1) as spool:
        for start in range(0, len(rows), SPOOL_BATCH * 10):  # as the backend commits them
            records = [
                _as_the_backend_keeps(rows[at : at + SPOOL_BATCH])
                for at in range(start, min(start + SPOOL_BATCH * 10, len(rows)), SPOOL_BATCH)
            ]
            assert spool.commit(records) == [None] * len(records)
    with DiskSpool(directory, max_rows=len(rows) + 1) as spool:  # a restart: nothing in memory
        started = time.perf_counter()
        sent = spool.ship(lambda batch: insert_batch(client, batch))
        elapsed = time.perf_counter() - started
    shutil.rmtree(directory)
    assert sent == len(rows), f"shipped {sent} of {len(rows)}"
    return sent / elapsed


def _direct_rate(client: Any, rows: list[dict[str, Any]], batch: int) -> float:
    """Rows per second of insert_events straight from memory, in replay-sized batches."""
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        insert_events(client, rows[start : start + batch], uuid.uuid4().hex)
    return len(rows) / (time.perf_counter() - started)


def _ours(client: Any, rows: list[dict[str, Any]]) -> None:
    insert_events(client, rows, uuid.uuid4().hex)


def _anchor(client: Any, rows: list[dict[str, Any]]) -> None:
    """The least code that inserts the same event dicts with clickhouse-connect directly."""
    data = [
        [r["event_id"], r["event_type"], r["user_id"], json.dumps(r["properties"]), r["timestamp"]]
        for r in rows
    ]
    client.insert(
        EVENTS_TABLE,
        data,
        column_names=list(EVENTS_COLUMNS),
        settings={"insert_deduplication_token": uuid.uuid4().hex},
    )


def _insert_seconds(
    client: Any, rows: list[dict[str, Any]], ours_first: bool
) -> tuple[float, float]:
    """(insert_events, direct client.insert) for the same batch, in the order asked."""
    timings = {}
    for name, insert in [("ours", _ours), ("anchor", _anchor)][:: 1 if ours_first else -1]:
        started = time.perf_counter()
        insert(client, rows)
        timings[name] = time.perf_counter() - started
    return timings["ours"], timings["anchor"]


def _route_rows(count: int) -> list[dict[str, Any]]:
    """Event rows as POST /api/events hands them to AnalyticsClient.insert (JSON-friendly)."""
    stamp = datetime.now(UTC).isoformat()
    return [
        {"event_id": uuid.uuid4().hex, "event_type": "click", "user_id": f"u{i % 97}",
         "properties": json.dumps({"page": f"/p/{i % 13}", "n": i}), "timestamp": stamp}
        for i in range(count)
    ]  # fmt: skip


def _client_insert_seconds(analytics: AnalyticsClient, rows: list[dict[str, Any]]) -> float:
    """AnalyticsClient.submit() of a lone batch until the shipper has stored it (the last insert
    began SHIP_EVERY_S ago: under a stream, batches wait up to that long to go together)."""
    time.sleep(SHIP_EVERY_S)
    target = analytics.shipped_rows + len(rows)
    started = time.perf_counter()
    analytics.submit(EVENTS_TABLE, rows).result(timeout=30)  # durable: what a 202 waits for
    while analytics.shipped_rows < target:
        time.sleep(0.0001)
    return time.perf_counter() - started


def _direct_route_seconds(client: Any, rows: list[dict[str, Any]]) -> float:
    """The same route rows through clickhouse-connect directly (timestamps parsed, as needed)."""
    started = time.perf_counter()
    data = [
        [r["event_id"], r["event_type"], r["user_id"], r["properties"],
         datetime.fromisoformat(r["timestamp"])]
        for r in rows
    ]  # fmt: skip
    client.insert(EVENTS_TABLE, data, column_names=list(EVENTS_COLUMNS),
                  settings={"insert_deduplication_token": uuid.uuid4().hex})  # fmt: skip
    return time.perf_counter() - started


def _analytics_client(port: int, workdir: Path) -> AnalyticsClient:
    analytics = AnalyticsClient(
        ClickHouseConfig(f"http://default:@127.0.0.1:{port}/default", 3, 10),
        open_spool=lambda: DiskSpool(workdir / "client-spool"),
    )
    analytics.start()
    deadline = time.monotonic() + 30
    while analytics.state is not AnalyticsState.CONNECTED:
        assert time.monotonic() < deadline, analytics.health()
        time.sleep(0.01)
    return analytics


def run() -> list[dict[str, Any]]:
    """Measure and return the benchmark rows (see benchmarks/ runner)."""
    workdir = Path(tempfile.mkdtemp(prefix="netra-bench-replay-"))
    server = start_embedded(workdir / "clickhouse")
    try:
        client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port)
        ensure_schema(client)
        rows = _events(REPLAY_ROWS)
        small = _events(INSERT_BATCH)
        _insert_seconds(client, small, True)  # warm up connections and code paths
        analytics = _analytics_client(server.port, workdir)
        route_rows = _route_rows(INSERT_BATCH)
        client_ours: list[float] = []
        client_anchor: list[float] = []
        for attempt in range(24):
            batch = [{**r, "event_id": uuid.uuid4().hex} for r in route_rows]
            pair = [(client_ours, partial(_client_insert_seconds, analytics, batch)),
                    (client_anchor, partial(_direct_route_seconds, client, batch))]  # fmt: skip
            for samples, measure in pair[:: 1 if attempt % 2 else -1]:
                samples.append(measure())
        analytics.close()
        replay, direct, ours, anchor = [], [], [], []
        for _ in range(ROUNDS):
            replay.append(_replay_rate(client, workdir, rows))
            direct.append(_direct_rate(client, rows, 50_000))
            for attempt in range(10):
                mine, theirs = _insert_seconds(client, small, attempt % 2 == 0)
                ours.append(mine)
                anchor.append(theirs)
        client.close()
    finally:
        server.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    replay_rate, direct_rate = statistics.median(replay), statistics.median(direct)
    ours_ms, anchor_ms = statistics.median(ours) * 1000, statistics.median(anchor) * 1000
    client_ms = statistics.median(client_ours[4:]) * 1000  # first rounds warm the thread up
    client_anchor_ms = statistics.median(client_anchor[4:]) * 1000
    return [
        {
            "measurement": f"AnalyticsClient.submit() of a lone batch of {INSERT_BATCH:,} events (as "
            "POST /api/events builds them) until stored (fsync'd in the spool, then shipped), "
            "healthy, vs clickhouse-connect client.insert of the same rows",
            "ours": round(client_ms, 2),
            "anchor": round(client_anchor_ms, 2),
            "unit": "ms (median)",
            "goal": at_most_x(
                DURABLE_GOAL_RATIO,
                f"<= {DURABLE_GOAL_RATIO:g}x anchor (the anchor "
                "is not durable; ours waits for two fsyncs: the batch's, then the "
                "insert token's)",
            ),  # fmt: skip
            "command": COMMAND,
        },
        {
            "measurement": f"spool replay (shipping after a restart) into the embedded engine "
            f"({REPLAY_ROWS:,} rows committed {SPOOL_BATCH} per batch; anchor: insert_events of "
            "the same rows from memory)",
            "ours": round(replay_rate),
            "anchor": round(direct_rate),
            "unit": "rows/s",
            "goal": at_least_x(REPLAY_GOAL_RATIO),
            "command": COMMAND,
        },
        {
            "measurement": f"insert_events of {INSERT_BATCH:,} event dicts vs the same dicts "
            "passed straight to clickhouse-connect client.insert (rows, properties as JSON)",
            "ours": round(ours_ms, 2),
            "anchor": round(anchor_ms, 2),
            "unit": "ms (median)",
            "goal": at_most_x(OVERHEAD_GOAL_RATIO),
            "command": COMMAND,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, default=str))
