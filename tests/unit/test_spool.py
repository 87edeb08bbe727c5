"""DiskSpool on a real filesystem: order, stable batch ids, limits, torn writes, locking."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_backend.app.analytics.spool.disk import DiskSpool, SpoolLockedError


class Sink:
    """A table that stores a batch once per batch id, like ClickHouse's deduplication token."""

    def __init__(self, fail_after: int | None = None, lose_ack: bool = False) -> None:
        self.rows: list[dict[str, Any]] = []
        self.batches: dict[str, list[dict[str, Any]]] = {}
        self.calls = 0
        self.fail_after, self.lose_ack = fail_after, lose_ack

    def __call__(self, table: str, rows: list[dict[str, Any]], batch_id: str) -> None:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after and not self.lose_ack:
            raise ConnectionError("server went away")
        if batch_id in self.batches:
            assert self.batches[batch_id] == rows, "a batch id was reused for different rows"
        else:
            self.batches[batch_id] = list(rows)
            self.rows.extend(rows)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise ConnectionError("acknowledgement lost")


def _rows(start: int, count: int) -> list[dict[str, Any]]:
    return [{"event_id": f"e{i}", "n": i} for i in range(start, start + count)]


def test_replay_sends_everything_oldest_first_and_empties_the_spool(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path / "s", replay_batch_rows=25) as spool:
        for start in range(0, 100, 10):
            spool.spool("events", _rows(start, 10))
        assert spool.status()["pending_rows"] == 100
        assert spool.replay(sink) == 100
        status = spool.status()
    assert [r["n"] for r in sink.rows] == list(range(100))
    assert len(sink.batches) == 5  # 10-row records merged up to 25 rows: 20 per group
    assert status["pending_rows"] == 0 and status["bytes"] == 0 and status["oldest_age_s"] == 0.0
    assert not list((tmp_path / "s").glob("seg-*.log")), "consumed segments are deleted"


def test_types_survive_the_disk_round_trip(tmp_path: Path) -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    row = {"event_id": "x", "timestamp": stamp, "user_id": None, "properties": {"a": [1, 2.5]}}
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", [row])
        spool.replay(sink)
    assert sink.rows == [row]


def test_rows_with_differing_keys_and_nested_datetimes_round_trip(tmp_path: Path) -> None:
    stamp = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    rows = [
        {"event_id": "a", "timestamp": stamp, "properties": {"seen": stamp}},
        {"event_id": "b", "timestamp": None},
        {"event_id": "c", "user_id": "u", "timestamp": stamp},
    ]
    same_keys = [{"event_id": "d", "timestamp": None}, {"event_id": "e", "timestamp": stamp}]
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", rows)
        spool.spool("events", same_keys)
        spool.replay(sink)
    assert sink.rows == rows + same_keys


def test_failed_replay_keeps_rows_and_retries_with_the_same_batch_id(tmp_path: Path) -> None:
    with DiskSpool(tmp_path, replay_batch_rows=10) as spool:
        for start in range(0, 50, 10):
            spool.spool("events", _rows(start, 10))
        lost = Sink(fail_after=2, lose_ack=True)  # third batch stored, its ack lost
        assert spool.replay(lost) == 20
        assert spool.status()["pending_rows"] == 30
        assert spool.status()["last_error"] == "ConnectionError: acknowledgement lost"
        retry = Sink()
        retry.batches = lost.batches  # the same table: it remembers the stored batch ids
        retry.rows = lost.rows
        assert spool.replay(retry) == 30
    assert [r["n"] for r in retry.rows] == list(range(50))  # the re-sent batch stored once


def test_group_chosen_before_a_crash_is_replayed_unchanged_after_restart(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, replay_batch_rows=100)
    spool.spool("events", _rows(0, 10))
    spool.spool("events", _rows(10, 10))
    first = Sink(fail_after=0, lose_ack=True)
    assert spool.replay(first) == 0
    spool.close()
    with DiskSpool(tmp_path, replay_batch_rows=100) as reopened:
        reopened.spool("events", _rows(20, 10))  # would join the group if it were rebuilt
        second = Sink()
        assert reopened.replay(second) == 30
    stored_id = next(iter(first.batches))
    assert second.batches[stored_id] == _rows(0, 20)
    assert [r["n"] for r in second.rows] == list(range(30))


def test_callers_batch_id_is_kept_and_never_merged(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 5))
        spool.spool("events", _rows(5, 5), batch_id="tried-once")
        spool.spool("events", _rows(10, 5))
        spool.replay(sink)
    assert sink.batches["tried-once"] == _rows(5, 5)
    assert len(sink.batches) == 3


def test_rows_for_other_tables_are_replayed_separately_in_order(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 2))
        spool.spool("audit", _rows(2, 2))
        spool.spool("events", _rows(4, 2))
        spool.replay(lambda table, rows, _id: seen.append((table, rows[0]["n"])))
    assert seen == [("events", 0), ("audit", 2), ("events", 4)]


def test_torn_tail_after_a_crash_is_skipped_and_earlier_rows_survive(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path)
    spool.spool("events", _rows(0, 3))
    spool.spool("events", _rows(3, 3))
    spool.close()
    segment = next(tmp_path.glob("seg-*.log"))
    whole = segment.read_bytes()
    segment.write_bytes(whole[:-7])  # the second record was cut short mid-write
    sink = Sink()
    with DiskSpool(tmp_path) as reopened:
        assert reopened.status()["pending_rows"] == 3
        reopened.spool("events", _rows(6, 1))  # new writes go to a fresh segment
        assert reopened.replay(sink) == 4
    assert [r["n"] for r in sink.rows] == [0, 1, 2, 6]


def test_record_with_a_bad_checksum_is_not_replayed(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 3))
    segment = next(tmp_path.glob("seg-*.log"))
    data = bytearray(segment.read_bytes())
    data[-2] ^= 0xFF  # a flipped bit inside the payload
    segment.write_bytes(bytes(data))
    with DiskSpool(tmp_path) as reopened:
        assert reopened.status()["pending_rows"] == 0


def test_second_spool_on_the_same_directory_is_refused_clearly(tmp_path: Path) -> None:
    with DiskSpool(tmp_path), pytest.raises(SpoolLockedError, match="its own spool directory"):
        DiskSpool(tmp_path)
    DiskSpool(tmp_path).close()  # released on close


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("drop-newest", range(25)), ("drop-oldest", range(40, 60))],  # oldest go whole records
)
def test_limit_counts_every_dropped_row_and_keeps_the_policy(
    tmp_path: Path, policy: str, kept: range
) -> None:
    sink = Sink()
    with DiskSpool(tmp_path, max_rows=25, policy=policy) as spool:
        for start in range(0, 60, 10):
            spool.spool("events", _rows(start, 10))
        status = spool.status()
        assert status["pending_rows"] == len(kept)
        assert status["dropped_rows"] == 60 - len(kept)
        spool.replay(sink)
    assert [r["n"] for r in sink.rows] == list(kept)
    counters = json.loads((tmp_path / "counters.json").read_text())
    assert counters["dropped_rows"] == 60 - len(kept)
    with DiskSpool(tmp_path, max_rows=25) as reopened:
        assert reopened.status()["dropped_rows"] == 60 - len(kept)  # survives a restart


def test_byte_limit_bounds_the_spool(tmp_path: Path) -> None:
    big = [{"event_id": str(i), "blob": "x" * 1000} for i in range(100)]
    with DiskSpool(tmp_path, max_bytes=20_000) as spool:
        for row in big:
            spool.spool("events", [row])
        status = spool.status()
    assert status["bytes"] <= 20_000
    assert status["pending_rows"] + status["dropped_rows"] == 100
    assert status["dropped_rows"] > 0


def test_discard_deletes_pending_rows_and_reports_them(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 7))
        assert spool.discard() == 7
        assert spool.status()["pending_rows"] == 0
        assert spool.status()["discarded_rows"] == 7
        assert spool.replay(Sink()) == 0


def test_write_failure_is_counted_not_raised(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", [{"bad": object()}, {"ok": 1}])  # str() works; object is encoded
        spool.spool("events", [{"key": float("nan")}])
        circular: dict[str, Any] = {"id": 1}
        circular["self"] = circular  # JSON cannot encode it: the write fails
        spool.spool("events", [circular])
        status = spool.status()
    assert status["pending_rows"] == 3 and status["dropped_rows"] == 1


def test_rejects_an_unknown_policy(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drop-newest"):
        DiskSpool(tmp_path, policy="drop-random")


def test_header_layout_is_magic_length_crc(tmp_path: Path) -> None:
    with DiskSpool(tmp_path) as spool:
        spool.spool("events", _rows(0, 1))
    data = next(tmp_path.glob("seg-*.log")).read_bytes()
    magic, length, _crc = struct.unpack_from("<4sII", data)
    assert magic == b"NSP1" and length == len(data) - 12


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
    spool = DiskSpool(directory, replay_batch_rows=merge)
    for index, size in enumerate(batches):
        spool.spool("events", _rows(start, size))
        start += size
        if index < len(failures):  # an outage that loses an ack after a few batches, then a crash
            flaky = Sink(fail_after=failures[index], lose_ack=index % 2 == 0)
            flaky.batches, flaky.rows = sink.batches, sink.rows
            spool.replay(flaky)
            spool.close()
            spool = DiskSpool(directory, replay_batch_rows=merge)
    spool.replay(sink)
    assert spool.status()["pending_rows"] == 0
    spool.close()
    assert [r["n"] for r in sink.rows] == list(range(start))


def test_spooling_while_another_thread_replays_loses_and_repeats_nothing(tmp_path: Path) -> None:
    import threading

    sink = Sink()
    done = threading.Event()
    with DiskSpool(tmp_path, replay_batch_rows=50) as spool:

        def keep_replaying() -> None:
            while not done.is_set():
                spool.replay(sink)

        replayer = threading.Thread(target=keep_replaying)
        replayer.start()
        for start in range(0, 2000, 10):
            spool.spool("events", _rows(start, 10))
        done.set()
        replayer.join(30)
        spool.replay(sink)
        assert spool.status()["pending_rows"] == 0
    assert [r["n"] for r in sink.rows] == list(range(2000))


def test_record_damaged_after_it_was_written_is_dropped_and_counted(tmp_path: Path) -> None:
    sink = Sink()
    with DiskSpool(tmp_path, replay_batch_rows=5) as spool:
        spool.spool("events", _rows(0, 5))
        spool.spool("events", _rows(5, 5))
        segment = next(tmp_path.glob("seg-*.log"))
        data = bytearray(segment.read_bytes())
        data[30] ^= 0xFF  # inside the first record
        segment.write_bytes(bytes(data))
        assert spool.replay(sink) == 5
        assert spool.status()["dropped_rows"] == 5
    assert [r["n"] for r in sink.rows] == list(range(5, 10))
