"""DiskSpool on a real filesystem: order, stable tokens, limits, torn writes, locking, old spools."""

from __future__ import annotations

import json
import struct
import threading
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_backend.app.analytics.spool.disk import Batch, DiskSpool, SpoolLockedError
from netra_backend.app.analytics.spool.errors import SpoolFullError


class Sink:
    """A table that stores a batch once per batch id, like ClickHouse's deduplication token."""

    def __init__(self, fail_after: int | None = None, lose_ack: bool = False) -> None:
        self.rows: list[dict[str, Any]] = []
        self.batches: dict[str, list[dict[str, Any]]] = {}
        self.calls = 0
        self.fail_after, self.lose_ack = fail_after, lose_ack

    def __call__(self, batch: Batch) -> None:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after and not self.lose_ack:
            raise ConnectionError("server went away")
        if batch.batch_id not in self.batches:
            self.batches[batch.batch_id] = batch.rows
            self.rows.extend(batch.rows)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ConnectionError("acknowledgement lost")


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [{"event_id": f"e{i}", "n": i} for i in range(start, start + count)]


def test_ship_sends_everything_oldest_first_and_empties_the_spool(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path / "s", ship_batch_rows=25, segment_bytes=1000) as spool:
        for start in range(0, 100, 10):
            spool.spool("events", _rows(start, 10))
        assert spool.status()["pending_rows"] == 100
        assert spool.ship(sink) == 100
        status = spool.status()
    assert [r["n"] for r in sink.rows] == list(range(100))
    assert len(sink.batches) == 5  # 10-row records grouped up to 25 rows: 20 per group
    assert status["pending_rows"] == 0 and status["bytes"] == 0 and status["oldest_age_s"] == 0.0
    assert len(list((tmp_path / "s").glob("seg-*.log"))) == 1, "only the active segment is left"


def test_one_fsync_commits_a_whole_group_of_batches(tmp_path: Path) -> None:
    from netra_backend.app.analytics.spool.records import encode_record

    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 1))  # creates the first segment (and its directory entry)
        before = spool.status()["fsyncs"]
        records = [encode_record("events", ["n"], [[i]]) for i in range(32)]
        assert spool.commit(records) == [None] * 32
        assert spool.status()["fsyncs"] - before == 1
        assert spool.status()["pending_rows"] == 33


def test_types_survive_the_disk_round_trip(tmp_path: Path) -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    row = {"id": "x", "at": stamp, "user_id": None, "props": {"a": [1, 2.5]}}
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        spool.spool("audit", [row])
        spool.ship(sink)
    assert sink.rows == [row]


def test_rows_with_differing_keys_come_back_with_every_column(tmp_path: Path) -> None:
    rows = [{"event_id": "a", "x": 1}, {"event_id": "b"}, {"event_id": "c", "y": "u"}]
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", rows)
        spool.spool("events", [{"event_id": "d", "z": 2}])
        spool.ship(sink)
    keys = ("event_id", "x", "y", "z")
    assert sink.rows == [{k: r.get(k) for k in keys} for r in [*rows, {"event_id": "d", "z": 2}]]


def test_failed_ship_keeps_rows_and_retries_with_the_same_batch_id(tmp_path: Path) -> None:
    with DiskSpool(tmp_path, ship_batch_rows=10) as spool:
        for start in range(0, 50, 10):
            spool.spool("events", _rows(start, 10))
        lost = Sink(fail_after=2, lose_ack=True)  # third batch stored, its ack lost
        with pytest.raises(ConnectionError):
            spool.ship(lost)
        assert spool.status()["pending_rows"] == 30
        assert spool.status()["last_error"] == "acknowledgement lost"
        retry = Sink()
        retry.batches, retry.rows = lost.batches, lost.rows  # the same table remembers ids
        assert spool.ship(retry) == 30
    assert [r["n"] for r in retry.rows] == list(range(50))  # the re-sent batch stored once


def test_group_chosen_before_a_crash_is_shipped_unchanged_after_restart(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, ship_batch_rows=100)
    spool.spool("events", _rows(0, 10))
    spool.spool("events", _rows(10, 10))
    first = Sink(fail_after=0, lose_ack=True)
    with pytest.raises(ConnectionError):
        spool.ship(first)
    spool.close()
    with DiskSpool(tmp_path, ship_batch_rows=100) as reopened:
        reopened.spool("events", _rows(20, 10))  # would join the group if it were rebuilt
        second = Sink()
        assert reopened.ship(second) == 30
    stored_id = next(iter(first.batches))
    assert second.batches[stored_id] == _rows(0, 20)
    assert [r["n"] for r in second.rows] == list(range(30))


def test_rows_for_other_tables_are_shipped_separately_in_order(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 2))
        spool.spool("audit", _rows(2, 2))
        spool.spool("events", _rows(4, 2))
        spool.ship(lambda batch: seen.append((batch.table, batch.rows[0]["n"])))
    assert seen == [("events", 0), ("audit", 2), ("events", 4)]


def test_torn_tail_of_an_unacknowledged_write_is_skipped_and_earlier_rows_survive(
    tmp_path: Path,
) -> None:
    spool = DiskSpool(tmp_path)
    spool.spool("events", _rows(0, 3))
    spool.close()
    segment = next(tmp_path.glob("seg-*.log"))
    with open(segment, "ab") as handle:  # a crash in the middle of the next write
        handle.write(b"NSP2\x03\x00\x00\x00garbage")
    sink = Sink()
    with DiskSpool(tmp_path) as reopened:
        assert reopened.status()["pending_rows"] == 3
        assert reopened.status()["damaged_bytes"] == 0  # never acknowledged: not a loss
        reopened.spool("events", _rows(6, 1))  # new writes go to a fresh segment
        assert reopened.ship(sink) == 4
    assert [r["n"] for r in sink.rows] == [0, 1, 2, 6]


def test_second_spool_on_the_same_directory_is_refused_clearly(tmp_path: Path) -> None:
    with DiskSpool(tmp_path), pytest.raises(SpoolLockedError, match="its own spool directory"):
        DiskSpool(tmp_path)
    DiskSpool(tmp_path).close()  # released on close


def test_drop_newest_refuses_a_batch_that_does_not_fit_and_loses_nothing(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path, max_rows=25) as spool:
        for start in range(0, 20, 10):
            spool.spool("events", _rows(start, 10))
        with pytest.raises(SpoolFullError, match="CLICKHOUSE_SPOOL_MAX_ROWS"):
            spool.spool("events", _rows(20, 10))  # 30 > 25: refused whole (a 503, not a 202)
        spool.spool("events", _rows(20, 5))
        assert spool.status()["dropped_rows"] == 0
        spool.ship(sink)
    assert [r["n"] for r in sink.rows] == list(range(25))


def test_drop_oldest_counts_every_dropped_row_and_the_count_survives_restarts(
    tmp_path: Path,
) -> None:
    sink = Sink()
    with DiskSpool(tmp_path, max_rows=25, policy="drop-oldest") as spool:
        for start in range(0, 60, 10):
            spool.spool("events", _rows(start, 10))
        status = spool.status()
        assert status["pending_rows"] == 20 and status["dropped_rows"] == 40
        spool.ship(sink)
    assert [r["n"] for r in sink.rows] == list(range(40, 60))
    for _ in range(2):  # a restart, and one after the ledger was compacted
        with DiskSpool(tmp_path, max_rows=25) as reopened:
            assert reopened.status()["dropped_rows"] == 40
    assert not (tmp_path / "counters.json").exists()  # counts live in the ledger


def test_byte_limit_bounds_the_spool(tmp_path: Path) -> None:
    refused = 0
    with DiskSpool(tmp_path, max_bytes=20_000) as spool:
        for i in range(100):
            try:
                spool.spool("events", [{"event_id": str(i), "blob": "x" * 1000}])
            except SpoolFullError:
                refused += 1
        status = spool.status()
    assert status["bytes"] <= 20_000 and refused > 0
    assert status["pending_rows"] + refused == 100


def test_discard_deletes_pending_rows_and_reports_them(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 7))
        assert spool.discard() == 7
        assert spool.status()["pending_rows"] == 0
        assert spool.status()["discarded_rows"] == 7
        assert spool.ship(Sink()) == 0
    with DiskSpool(tmp_path) as reopened:
        assert reopened.status()["discarded_rows"] == 7


def test_rejects_an_unknown_policy(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drop-newest"):
        DiskSpool(tmp_path, policy="drop-random")


def test_header_layout_is_magic_rows_length_crc_and_its_own_crc(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 3))
    data = next(tmp_path.glob("seg-*.log")).read_bytes()
    magic, rows, length, crc, head_crc = struct.unpack_from("<4sIIII", data)
    assert (magic, rows, length) == (b"NSP2", 3, len(data) - 20)
    assert crc == zlib.crc32(data[20:]) and head_crc == zlib.crc32(data[:16])


def _legacy_record(rows: list[dict[str, Any]], batch_id: str, external: bool) -> bytes:
    """A record as the backend wrote them before format 2 (NSP1, columns, dt tags)."""
    meta = {"t": "events", "b": batch_id, "ts": 1.0, "n": len(rows), "x": external, "dt": [],
            "tag": False}  # fmt: skip
    body = {"k": list(rows[0]), "c": [[r[k] for r in rows] for k in rows[0]]}
    payload = json.dumps(meta).encode() + b"\n" + json.dumps(body).encode()
    return struct.pack("<4sII", b"NSP1", len(payload), zlib.crc32(payload)) + payload


def test_a_spool_left_by_the_previous_format_is_read_and_shipped(tmp_path: Path) -> None:
    first, second, third = _rows(0, 3), _rows(3, 2), _rows(5, 4)
    records = [_legacy_record(first, "a", False), _legacy_record(second, "tried", True)]
    records.append(_legacy_record(third, "c", False))
    (tmp_path / "seg-000000000001.log").write_bytes(b"".join(records))
    consumed = {"op": "done", "recs": [[1, 0]], "batch_id": ""}  # the old ledger line form
    (tmp_path / "ledger.jsonl").write_text(json.dumps(consumed) + "\n")
    (tmp_path / "counters.json").write_text('{"dropped_rows": 7, "discarded_rows": 2}')
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        assert spool.status()["pending_rows"] == 6
        assert (spool.status()["dropped_rows"], spool.status()["discarded_rows"]) == (7, 2)
        assert spool.ship(sink) == 6
    assert sink.batches["tried"] == second  # a direct insert's id is kept, never merged
    assert [r["n"] for r in sink.rows] == list(range(3, 9))
    with DiskSpool(tmp_path) as reopened:  # the counts moved into the ledger
        assert reopened.status()["dropped_rows"] == 7


batches = st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=25)
failures = st.lists(st.integers(min_value=0, max_value=6), max_size=5)


@settings(max_examples=40, deadline=None)
@given(batches=batches, failures=failures, merge=st.integers(min_value=1, max_value=60))
def test_any_interleaving_of_failures_and_restarts_delivers_each_row_once_in_order(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int], failures: list[int], merge: int
) -> None:
    directory = tmp_path_factory.mktemp("prop")
    sink = Sink()
    start = 0
    spool = DiskSpool(directory, ship_batch_rows=merge)
    for index, size in enumerate(batches):
        spool.spool("events", _rows(start, size))
        start += size
        if index < len(failures):  # an outage that loses an ack after a few batches, then a crash
            flaky = Sink(fail_after=failures[index], lose_ack=index % 2 == 0)
            flaky.batches, flaky.rows = sink.batches, sink.rows
            try:
                spool.ship(flaky)
            except ConnectionError:
                pass
            spool.close()
            spool = DiskSpool(directory, ship_batch_rows=merge)
    spool.ship(sink)
    assert spool.status()["pending_rows"] == 0
    spool.close()
    assert [r["n"] for r in sink.rows] == list(range(start))


def test_committing_while_another_thread_ships_loses_and_repeats_nothing(tmp_path: Path) -> None:
    sink = Sink()
    done = threading.Event()
    with DiskSpool(tmp_path, ship_batch_rows=50, segment_bytes=4096) as spool:

        def keep_shipping() -> None:
            while not done.is_set():
                spool.ship(sink)

        shipper = threading.Thread(target=keep_shipping)
        shipper.start()
        for start in range(0, 2000, 10):
            spool.spool("events", _rows(start, 10))
        done.set()
        shipper.join(30)
        spool.ship(sink)
        assert spool.status()["pending_rows"] == 0
    assert [r["n"] for r in sink.rows] == list(range(2000))


def _flip_byte(path: Path, offset: int) -> int:
    """Invert the byte at `offset` of `path` (damage after the write); returns what it was."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ 0xFF]))
    return byte


def test_record_damaged_after_it_was_written_is_set_aside_and_counted(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path, ship_batch_rows=5) as spool:
        spool.spool("events", _rows(0, 5))
        spool.spool("events", _rows(5, 5))
        segment = next(tmp_path.glob("seg-*.log"))
        byte = _flip_byte(segment, 40)  # inside the first record's payload
        assert spool.ship(sink) == 5
        status = spool.status()
    assert [r["n"] for r in sink.rows] == list(range(5, 10))
    assert status["damaged_rows"] == 5 and status["dropped_rows"] == 0
    copy = tmp_path / "damaged" / segment.name
    assert status["damaged_copies"] == [str(copy)] and copy.read_bytes()[40] != byte


def _rows_record(start: int, count: int) -> bytes:
    """A record in the `rows` layout, as POST /api/events writes it."""
    from netra_backend.app.analytics.schema import EVENTS_COLUMNS, event_rows_text
    from netra_backend.app.analytics.spool.records import encode_rows_record

    events = [{"event_id": f"e{i}", "event_type": "t", "user_id": f"u{i}",
               "properties": {"n": i}, "timestamp": 1_700_000_000_000 + i}
              for i in range(start, start + count)]  # fmt: skip
    return encode_rows_record("events", list(EVENTS_COLUMNS), event_rows_text(events), count)


def test_rows_layout_is_shipped_as_its_bytes_and_never_mixed_with_columns(tmp_path: Path) -> None:
    sent: list[Batch] = []
    with DiskSpool(tmp_path) as spool:
        assert spool.commit([_rows_record(0, 3), _rows_record(3, 2)]) == [None, None]
        spool.spool("events", [{"event_id": "c0", "n": 0}])  # columns layout, same table
        assert spool.commit([_rows_record(5, 1)]) == [None]
        assert spool.ship(sent.append) == 7
    assert [len(batch) for batch in sent] == [5, 1, 1]
    first, columns, last = sent
    assert first.raw is not None and columns.raw is None and last.raw is not None
    assert first.raw.startswith(b'["e0","t","u0","{\\"n\\": 0}","2023-11-14 22:13:20.000"],')
    assert [row["event_id"] for row in first.rows] == ["e0", "e1", "e2", "e3", "e4"]
    assert first.rows[4]["timestamp"] == "2023-11-14 22:13:20.004"
    assert columns.rows == [{"event_id": "c0", "n": 0}]


def test_a_damaged_rows_record_costs_only_itself(tmp_path: Path) -> None:
    sent: list[Batch] = []
    with DiskSpool(tmp_path) as spool:
        spool.commit([_rows_record(0, 2), _rows_record(2, 2)])
        _flip_byte(next(tmp_path.glob("seg-*.log")), 200)  # in the first record's rows
        assert spool.ship(sent.append) == 2
        status = spool.status()
    assert [row["event_id"] for batch in sent for row in batch.rows] == ["e2", "e3"]
    assert status["damaged_rows"] == 2 and status["pending_rows"] == 0


def test_rows_layout_decodes_to_the_same_columns_tools_read() -> None:
    from netra_backend.app.analytics.spool.records import decode_columns

    keys, columns = decode_columns(_rows_record(0, 2))
    assert keys == ["event_id", "event_type", "user_id", "properties", "timestamp"]
    assert columns == [["e0", "e1"], ["t", "t"], ["u0", "u1"], ['{"n": 0}', '{"n": 1}'],
                       ["2023-11-14 22:13:20.000", "2023-11-14 22:13:20.001"]]  # fmt: skip
