"""DiskSpool shipped into the real embedded ClickHouse engine through real loopback sockets."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_backend.app.analytics.schema import (
    EVENTS_COLUMNS,
    ensure_schema,
    event_rows_text,
    insert_batch,
    insert_events,
)
from netra_backend.app.analytics.spool.disk import Batch, DiskSpool
from netra_backend.app.analytics.spool.records import encode_rows_record
from tests.integration.test_clickhouse_service import connect


class AckDroppingProxy:
    """A loopback TCP proxy; while `drop_acks` is set it lets an INSERT through to the server,
    waits for the server's answer (so the insert has run), then drops the client's connection
    instead of passing the answer on: a lost acknowledgement."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.drop_acks = False
        self.dropped = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:  # the server is down: the client sees its connection closed
            client.close()
            return
        request = {"insert": False}
        threading.Thread(target=self._pump, args=(client, upstream, request), daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if self.drop_acks and request["insert"]:
                    self.dropped += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)  # wakes the pump; the client sees no answer
            client.close()
            upstream.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, request: dict[str, bool]) -> None:
        try:
            while data := source.recv(65536):
                if data[:5] in (b"POST ", b"GET /"):  # a new request on this connection
                    request["insert"] = False
                # the statement is in the body (clickhouse-connect) or the query parameter
                if b"INSERT INTO" in data or b"QUERY=INSERT" in data[:8192].upper():
                    request["insert"] = True
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def events_client(clickhouse_server: Any) -> Iterator[Any]:
    client = connect(clickhouse_server.url, connect_timeout=2)
    ensure_schema(client)
    yield client
    client.close()


def _events(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"event_id": f"e{i}", "event_type": "click", "user_id": None, "properties": {"i": i}}
        for i in range(start, start + count)
    ]


LAYOUTS = ["rows", "columns"]  # events as POST /api/events keeps them; other tables, older spools


def _spool_events(spool: DiskSpool, events: list[dict[str, Any]], layout: str) -> None:
    """Commit `events` as one record in the given body layout."""
    if layout == "columns":
        spool.spool("events", events)
        return
    record = encode_rows_record(
        "events", list(EVENTS_COLUMNS), event_rows_text(events), len(events)
    )
    assert spool.commit([record]) == [None]


def _stored(client: Any) -> tuple[int, int]:
    """(rows, distinct event ids) in the events table."""
    count, distinct = client.query("SELECT count(), uniqExact(event_id) FROM events").result_rows[0]
    return int(count), int(distinct)


def _into(client: Any) -> Callable[[Batch], int]:
    return functools.partial(insert_batch, client)


def _ship(spool: DiskSpool, send: Callable[[Batch], object]) -> int:
    """Ship, and return the rows pending afterwards (a failure stops shipping, rows kept)."""
    with contextlib.suppress(Exception):
        spool.ship(send)
    return int(spool.status()["pending_rows"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_ten_thousand_rows_through_a_flapping_outage_are_stored_exactly_once(
    clickhouse_server: Any, events_client: Any, tmp_path: Path, layout: str
) -> None:
    spool = DiskSpool(tmp_path / "spool", ship_batch_rows=2000)
    clickhouse_server.stop()  # down
    for start in range(0, 6000, 100):
        _spool_events(spool, _events(start, 100), layout)
    assert _ship(spool, _into(events_client)) == 6000

    clickhouse_server.start()  # up, then down again in the middle of shipping
    insert = _into(events_client)
    calls = 0

    def insert_then_fail(batch: Batch) -> None:
        nonlocal calls
        calls += 1
        insert(batch)
        if calls == 2:  # the second group reached ClickHouse, then the server went away
            clickhouse_server.stop()
            raise ConnectionError("the acknowledgement was lost")

    assert _ship(spool, insert_then_fail) == 4000  # the second group is still pending
    for start in range(6000, 10000, 100):  # still down
        _spool_events(spool, _events(start, 100), layout)
    assert spool.status()["pending_rows"] == 8000

    clickhouse_server.start()  # up for good
    assert spool.ship(_into(events_client)) == 8000
    assert _stored(events_client) == (10_000, 10_000)
    assert spool.status()["pending_rows"] == 0 and spool.status()["dropped_rows"] == 0
    spool.close()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_shipped_batch_whose_ack_was_lost_is_stored_once(
    clickhouse_server: Any, events_client: Any, tmp_path: Path, layout: str
) -> None:
    proxy = AckDroppingProxy(clickhouse_server.port)
    via_proxy = connect(f"http://default:@127.0.0.1:{proxy.port}/default", connect_timeout=2)
    spool = DiskSpool(tmp_path / "spool")
    _spool_events(spool, _events(0, 1000), layout)
    proxy.drop_acks = True
    assert _ship(spool, _into(via_proxy)) == 1000  # the client never heard back
    assert proxy.dropped >= 1
    assert _stored(events_client) == (1000, 1000)  # ...but ClickHouse did store the batch
    proxy.drop_acks = False
    assert spool.ship(_into(via_proxy)) == 1000
    assert _stored(events_client) == (1000, 1000)
    via_proxy.close()
    proxy.close()
    spool.close()


def test_events_table_from_before_the_window_deduplicates_once_the_schema_is_ensured(
    events_client: Any,
) -> None:
    events_client.command("DROP TABLE events")
    events_client.command(  # the table as a version without the deduplication window made it
        "CREATE TABLE events (event_id String, event_type LowCardinality(String), "
        "user_id Nullable(String), properties String, timestamp DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY (event_type, timestamp)"
    )
    ensure_schema(events_client)
    for _ in range(3):
        insert_events(events_client, _events(0, 50), "the-same-token")
    assert _stored(events_client) == (50, 50)


CHILD = """
import sys
from netra_backend.app.analytics.spool.disk import Batch, DiskSpool
spool = DiskSpool(sys.argv[1])
sent = 0
while True:
    rows = [{"event_id": f"e{i}", "event_type": "click", "user_id": None, "properties": {}}
            for i in range(sent, sent + 100)]
    spool.spool("events", rows)
    sent += 100
    print(sent, flush=True)
"""


def test_spool_of_a_sigkilled_process_is_shipped_by_the_next_one(
    events_client: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "spool"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    confirmed = 0
    assert child.stdout is not None
    while confirmed < 3000:
        line = child.stdout.readline()
        assert line, "the spooling child died on its own"
        confirmed = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    child.stdout.close()

    with DiskSpool(directory) as restarted:  # the dead process's lock went with it
        pending = restarted.status()["pending_rows"]
        assert pending >= confirmed  # everything spool() returned for is on disk
        assert restarted.ship(_into(events_client)) == pending
    assert _stored(events_client) == (pending, pending)
    confirmed_stored = events_client.command(
        f"SELECT count() FROM events WHERE toUInt32(substring(event_id, 2)) < {confirmed}"
    )
    assert confirmed_stored == confirmed


def test_over_the_limit_sent_equals_stored_plus_dropped(
    clickhouse_server: Any, events_client: Any, tmp_path: Path
) -> None:
    spool = DiskSpool(tmp_path / "spool", max_rows=1000, policy="drop-oldest")
    clickhouse_server.stop()
    for start in range(0, 3000, 100):
        spool.spool("events", _events(start, 100))
    status = spool.status()
    assert status["pending_rows"] == 1000 and status["dropped_rows"] == 2000
    clickhouse_server.start()
    spool.ship(_into(events_client))
    stored, distinct = _stored(events_client)
    assert stored == distinct == 1000
    assert 3000 == stored + spool.status()["dropped_rows"]
    spool.close()


def test_rows_for_any_table_are_shipped_with_their_own_columns(
    events_client: Any, tmp_path: Path
) -> None:
    events_client.command(
        "CREATE TABLE audit (id UInt32, who String) ENGINE = MergeTree ORDER BY id "
        "SETTINGS non_replicated_deduplication_window = 100"
    )
    with DiskSpool(tmp_path / "spool") as spool:
        spool.spool("audit", [{"id": i, "who": f"w{i}"} for i in range(50)])
        spool.spool("events", _events(0, 5))
        assert spool.ship(_into(events_client)) == 55
    assert events_client.query("SELECT count(), sum(id) FROM audit").result_rows == [(50, 1225)]
    assert _stored(events_client) == (5, 5)
