"""Damage costs only the damaged records: byte flips and truncations at random offsets
(hypothesis) of real spool files, closed cleanly or left as a SIGKILL leaves them. At most the
records the damage touched are lost, the loss is counted exactly and reported (read_status,
`invoke spool --status` exit 1 and --json, the log, the spool's status for /health), and the
damaged segment is kept aside."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netra_backend.app.analytics.spool.disk import Batch, DiskSpool, read_status
from netra_backend.app.analytics.spool.records import decode_columns, scan_segment
from netra_devtools.analytics.cli import main as analytics_cli
from tests.integration.test_analytics_end_to_end import (
    _spool_check,
    _wait_stored,
    backend_factory,  # noqa: F401 - the fixture
)
from tests.integration.test_clickhouse_service import connect

BATCHES = 24
SEGMENT_BYTES = 1500  # several segments, so damage lands in old and in active ones


class Layout:
    """Where each acknowledged id lives on disk, read from the files before any damage."""

    def __init__(self, directory: Path) -> None:
        self.files = {p.name: p.read_bytes() for p in sorted(directory.glob("seg-*.log"))}
        self.records: list[tuple[str, int, int, list[str]]] = []  # file, offset, end, ids
        for name, data in self.files.items():
            scan = scan_segment(data, int(name[4:16]))
            assert not scan.regions, "the spool must be whole before the test damages it"
            for record in scan.records:
                keys, columns = decode_columns(data[record.offset : record.offset + record.size])
                ids = columns[keys.index("event_id")]
                self.records.append((name, record.offset, record.offset + record.size, ids))


def _build(directory: Path, shipped: int, crash: bool) -> tuple[Layout, set[str], Path]:
    """A spool of BATCHES batches, the oldest `shipped` of them already shipped; closed cleanly,
    or copied while open (what a SIGKILL leaves behind). Returns its layout, the pending ids and
    the directory to damage."""
    spool = DiskSpool(directory / "live", segment_bytes=SEGMENT_BYTES, ship_batch_rows=1)
    for batch in range(BATCHES):
        spool.spool("events", [{"event_id": f"b{batch}-{i}", "n": i} for i in range(batch % 5 + 1)])
    sent: list[str] = []
    calls = 0

    def send(batch: Batch) -> None:
        nonlocal calls
        calls += 1
        if calls > shipped:
            raise ConnectionError("ClickHouse went away")
        sent.extend(row["event_id"] for row in batch.rows)

    with contextlib.suppress(ConnectionError):
        spool.ship(send)
    target = directory / "spool"
    if crash:
        shutil.copytree(directory / "live", target)  # the files as the dead process left them
        spool.close()
    else:
        spool.close()
        shutil.copytree(directory / "live", target)
    layout = Layout(target)
    pending = {i for *_, ids in layout.records for i in ids} - set(sent)
    return layout, pending, target


flips = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3
)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    shipped=st.integers(0, 8),
    crash=st.booleans(),
    flip=st.one_of(st.none(), flips),
    cut=st.floats(0, 1, exclude_max=True),
    segment=st.floats(0, 1, exclude_max=True),
)
def test_damage_costs_only_the_damaged_records_and_is_reported_and_kept(
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
    shipped: int,
    crash: bool,
    flip: list[tuple[float, int]] | None,
    cut: float,
    segment: float,
) -> None:
    layout, pending, directory = _build(tmp_path_factory.mktemp("damage"), shipped, crash)
    name = list(layout.files)[int(segment * len(layout.files))]
    data = bytearray(layout.files[name])
    if flip:  # byte flips at random offsets (each offset once: two flips could cancel)
        masks = {int(where * len(data)): mask for where, mask in flip}
        touched = set(masks)
        for offset, mask in masks.items():
            data[offset] ^= mask
        hit = lambda start, end: any(start <= t < end for t in touched)  # noqa: E731
    else:  # a truncation at a random offset
        at = int(cut * len(data))
        data = data[:at]
        hit = lambda start, end: end > at  # noqa: E731
    (directory / name).write_bytes(bytes(data))
    lost = {
        i for f, start, end, ids in layout.records if f == name and hit(start, end) for i in ids
    }
    lost &= pending  # a record that was already shipped costs nothing when damaged

    status = read_status(directory)  # without the lock, before any backend looked
    assert (status["damaged_rows"], status["damaged_unknown"]) == (len(lost), 0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = analytics_cli(["spool", "--status", "--json", "--dir", str(directory)])
    report = json.loads(out.getvalue())
    assert code == (1 if lost else 0) and report["damaged_rows"] == len(lost)
    assert bool(report["problems"]) == bool(lost)

    caplog.clear()
    shipped_ids: list[str] = []
    with caplog.at_level(logging.ERROR, logger="netra.analytics.spool"):
        with DiskSpool(directory) as spool:
            spool.ship(lambda batch: shipped_ids.extend(r["event_id"] for r in batch.rows))
            after: dict[str, Any] = spool.status()
    assert sorted(shipped_ids) == sorted(pending - lost)  # every intact row, once
    assert after["damaged_rows"] == len(lost) and after["damaged_unknown"] == 0
    if lost:
        copy = directory / "damaged" / name
        assert after["damaged_copies"] == [str(copy)] and copy.read_bytes() == bytes(data)
        assert any("DAMAGE" in r.getMessage() and name in r.getMessage() for r in caplog.records)
    with DiskSpool(directory) as reopened:  # counted once, and for good
        assert reopened.status()["damaged_rows"] == len(lost)
    assert read_status(directory)["damaged_rows"] == len(lost)


def test_backend_on_a_damaged_spool_ships_the_rest_and_health_reports_the_loss(
    backend_factory: Any,  # noqa: F811 - the fixture imported above
    clickhouse_server: Any,
    tmp_path: Path,
) -> None:
    directory = tmp_path / "spool" / "r1"
    with DiskSpool(directory) as spool:
        for batch in range(10):
            spool.spool("events", [{"event_id": f"d{batch}-{i}", "event_type": "damaged",
                                    "properties": "{}", "timestamp": 0} for i in range(7)])  # fmt: skip
    layout = Layout(directory)
    name, start, end, lost = layout.records[4]
    data = bytearray(layout.files[name])
    data[(start + end) // 2] ^= 0x5A  # one byte in the middle of the fifth batch
    (directory / name).write_bytes(bytes(data))

    backend = backend_factory(CLICKHOUSE_URL=clickhouse_server.url)
    assert _wait_stored(clickhouse_server.url, "damaged", 63) == (63, 63)  # 9 intact batches
    check = _spool_check(backend)
    assert check["status"] == "warn" and check["damagedRows"] == 7 and check["observedValue"] == 0
    copy = str(directory / "damaged" / name)
    assert "7 rows" in check["output"] and str(directory / "damaged") in check["output"]
    assert check["damagedCopies"] == [copy]
    assert "DAMAGE: 7 rows" in backend.log_text() and name in backend.log_text()
    client = connect(clickhouse_server.url)
    try:
        found = client.query("SELECT count() FROM events WHERE event_id IN {ids:Array(String)}",
                             parameters={"ids": lost}).result_rows[0][0]  # fmt: skip
    finally:
        client.close()
    assert found == 0
