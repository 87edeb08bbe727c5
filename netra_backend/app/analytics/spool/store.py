"""The files of one spool directory and their in-memory index: segments, ledger, lock.

Segments (`seg-NNNNNNNNNNNN.log`) are append-only; what happens to a record is a ledger line,
never a rewrite. At open, every segment is scanned: intact records not yet consumed are pending,
damage is measured against the committed sizes, set aside in `damaged/` and noted. A segment
whose records are all consumed is deleted and the ledger compacted. A ledger line that could not
be written (disk full) is kept and written ahead of the next one, so a failed write never loses a
count. Callers hold `lock` around every method here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.damage import Loss, assess, set_aside, unnoted
from netra_backend.app.analytics.spool.errors import SpoolDiskError
from netra_backend.app.analytics.spool.files import (
    AppendOnly,
    disk_error,
    lock_directory,
    read_spans,
    write_atomically,
)
from netra_backend.app.analytics.spool.ledger import LEDGER, Key, compacted, line, read_ledger
from netra_backend.app.analytics.spool.records import (
    Record,
    Region,
    fsync_dir,
    parse_record,
    scan_segment,
)

logger = logging.getLogger("netra.analytics.spool")
SEGMENT_BYTES = 4 * 1024 * 1024
COMPACT_LINES = 10_000  # rewrite a ledger that grew this long even if no segment emptied


def segment_name(segment: int) -> str:
    """The file name of segment number `segment`."""
    return f"seg-{segment:012d}.log"


class SpoolStore:
    """Pending records (oldest first), the ledger's state, and the open files (see module doc)."""

    def __init__(self, directory: Path | str, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = Path(directory).absolute()  # the engine (chdb) may change the cwd
        self.lock = threading.RLock()
        self._segment_bytes = segment_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_handle = lock_directory(self.directory)
        self.pending: dict[Key, Record] = {}  # insertion order = oldest first
        self.pending_rows = self.pending_bytes = 0  # kept in step with `pending`
        self._live: dict[int, int] = {}  # pending records per segment
        self.fsyncs = 0
        self.held: set[int] = set()  # damaged segments not yet set aside: never deleted
        self._active: AppendOnly | None = None
        self._active_segment = 0
        self._active_rows = 0
        self._ledger: AppendOnly | None = None
        self._unwritten: list[str] = []  # ledger lines a failed write still owes
        self._dirty = True
        self.ledger = read_ledger(self.directory)
        self._load()

    # --- opening ---------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.ledger.torn_lines:
            logger.warning("spool: skipped %d torn ledger line(s) in %s",
                           self.ledger.torn_lines, self.directory)  # fmt: skip
        segments = sorted(self.directory.glob("seg-*.log"))
        for path in segments:
            segment = int(path.stem[4:])
            try:
                scan = scan_segment(path.read_bytes(), segment)
            except OSError as exc:  # unreadable now: keep it, say so, try again at the next start
                logger.error("spool: cannot read %s: %s; its rows wait", path, exc)
                self.held.add(segment)
                continue
            loss = assess(scan, self.ledger, segment)
            if loss.unfinished:
                logger.warning(
                    "spool: %d bytes at the end of %s are a write a crash interrupted before it "
                    "was acknowledged; nothing acknowledged was lost", loss.unfinished.size, path,
                )  # fmt: skip
            if fresh := unnoted(loss, self.ledger):
                self._note_damage(path, fresh)
            for record in scan.records:
                if not self.ledger.is_consumed(record.key):
                    self._add(record)
            if not loss and scan.records:  # a clean segment: its size now is all it ever holds
                end = scan.records[-1].offset + scan.records[-1].size
                if self.ledger.sizes.get(segment, (0, 0))[0] < end:
                    self._size_line(segment, end, sum(r.rows for r in scan.records))
        self._active_segment = int(segments[-1].stem[4:]) if segments else 0
        self.compact()
        with contextlib.suppress(SpoolDiskError):  # now, not in the first request (a full
            self._roll()  # disk is retried by the first append)

    def _note_damage(self, path: Path, loss: Loss, recs: list[list[Any]] | None = None) -> None:
        """Keep the damaged segment aside, count the loss (in the ledger) and log it."""
        copy = set_aside(self.directory, path)
        if copy is None:
            self.held.add(loss.segment)
        regions = [[r.offset, r.size, r.rows] for r in loss.regions]
        note: dict[str, Any] = {"op": "damage", "seg": loss.segment, "regions": regions, "rows": loss.rows,
                "bytes": loss.bytes, "unknown": loss.unknown, "copy": copy or path.name,
                "recs": recs or []}  # fmt: skip
        self.ledger.damage.append(note)
        self.ledger.consume(recs or [])
        self._write_ledger([json.dumps(note, separators=(",", ":")) + "\n"], required=False)
        rows = f"{loss.rows} rows" + (
            f" (+{loss.unknown} region(s) of unknown size)" * bool(loss.unknown)
        )
        logger.error(
            "spool: DAMAGE: %s, %d bytes lost in %s at offset(s) %s; damaged copy kept at %s",
            rows, loss.bytes, path, ", ".join(str(r.offset) for r in loss.regions),
            self.directory / (copy or path.name),
        )  # fmt: skip

    def _add(self, record: Record) -> None:
        self.pending[record.key] = record
        self._live[record.segment] = self._live.get(record.segment, 0) + 1
        self.pending_rows += record.rows
        self.pending_bytes += record.size

    # --- writing ---------------------------------------------------------------------------------

    def append(self, records: list[bytes]) -> list[Record]:
        """Write encoded records with one fsync (group commit): durable once this returns."""
        if self._active is None or self._active.size >= self._segment_bytes:
            self._roll()
        assert self._active is not None
        try:
            offset = self._active.append(b"".join(records), sync=True)
        except OSError as exc:
            if self._active.torn:  # its tail was never acknowledged; the next start says so
                self._close_active()
            raise disk_error("write", self._active_path(), exc) from None
        self.fsyncs += 1
        written = []
        for record_bytes in records:
            record = parse_record(record_bytes, 0, self._active_segment)
            assert record is not None, "a record we just encoded must parse"
            record.offset = offset
            offset += record.size
            self._add(record)
            written.append(record)
        self._active_rows += sum(r.rows for r in written)
        # Not fsync'd: it never runs ahead of the data (fsync'd above), a SIGKILL keeps it, and
        # the next fsync of the ledger takes it along. Damage is measured against it.
        self._size_line(self._active_segment, offset, self._active_rows, sync=False)
        if self.ledger.lines > COMPACT_LINES:  # long outages must not grow the ledger forever
            self.compact()
        return written

    def _active_path(self) -> Path:
        return self._path(self._active_segment)

    def _path(self, segment: int) -> Path:
        return self.directory / segment_name(segment)

    def _roll(self) -> None:
        """Close the active segment (its final size noted) and start the next one."""
        if self._active is not None and not self._live.get(self._active_segment):
            self._dirty = True  # the segment we leave holds nothing pending: delete it
        self._close_active()
        path = self.directory / segment_name(self._active_segment + 1)
        try:
            active = AppendOnly(path)
            try:
                fsync_dir(self.directory)
            except OSError:
                active.close()
                raise
        except OSError as exc:
            raise disk_error("create", path, exc) from None
        self.fsyncs += 1
        self._active = active
        self._active_segment += 1  # never append to a segment from before a restart
        self._active_rows = 0

    def _close_active(self) -> None:
        if self._active is not None:
            active, self._active = self._active, None
            with contextlib.suppress(OSError):
                active.close()
            if not active.torn:
                self._size_line(self._active_segment, active.size, self._active_rows)

    def _size_line(self, segment: int, size: int, rows: int, sync: bool = True) -> None:
        self.ledger.sizes[segment] = (size, rows)
        entry = line("size", seg=segment, bytes=size, rows=rows)
        self._write_ledger([entry], required=False, sync=sync)

    def _write_ledger(self, lines: list[str], *, required: bool, sync: bool = True) -> None:
        """Append lines (and any a failed write still owes); SpoolDiskError only if `required`."""
        path = self.directory / LEDGER
        try:
            if self._ledger is None:
                self._ledger = AppendOnly(path)
            self._ledger.append("".join(self._unwritten + lines).encode(), sync=sync)
        except OSError as exc:
            self._unwritten += lines
            if self._ledger is not None and self._ledger.torn:  # it ends mid-line: end that
                self._unwritten.insert(0, "\n")  # line before the next one, and reopen
                with contextlib.suppress(OSError):
                    self._ledger.close()
                self._ledger = None
            if required:
                raise disk_error("write", path, exc) from None
            logger.error("spool: cannot write %s (%s); will retry", path, exc.strerror or exc)
            return
        self.fsyncs += sync
        self._unwritten = []
        self.ledger.lines += len(lines)

    # --- the ledger's decisions ------------------------------------------------------------------

    def note_intent(self, records: list[Record], batch_id: str) -> None:
        """Note (fsync'd) which records are about to be inserted under which token."""
        recs = [[r.segment, r.offset, r.rows] for r in records]
        self._write_ledger([line("intent", recs=recs, batch_id=batch_id)], required=True)
        self.ledger.intent = ([r.key for r in records], batch_id)

    def consume(self, op: str, records: list[Record]) -> None:
        """Mark records done/drop/discard and forget them; `done` is fsync'd by the next intent
        (a lost `done` only makes the same group go again under the same token)."""
        recs = [[r.segment, r.offset, r.rows] for r in records]
        self.ledger.consume(recs)
        rows = sum(r.rows for r in records)
        if op == "drop":
            self.ledger.dropped_rows += rows
        elif op == "discard":
            self.ledger.discarded_rows += rows
        for record in records:
            self._forget(record)
        self._write_ledger([line(op, recs=recs)], required=False, sync=op != "done")

    def note_damaged_record(self, record: Record, why: str) -> None:
        """A pending record that no longer reads back whole: set aside, counted, forgotten."""
        logger.error("spool: record at %s offset %d unreadable: %s",
                     self._path(record.segment), record.offset, why)  # fmt: skip
        region = Region(record.offset, record.size, record.rows)
        loss = Loss(record.segment, record.rows, record.size, 0, [region])
        recs = [[record.segment, record.offset, record.rows]]
        self._note_damage(self._path(record.segment), loss, recs)
        self._forget(record)

    def _forget(self, record: Record) -> None:
        if self.pending.pop(record.key, None) is not None:
            self.pending_rows -= record.rows
            self.pending_bytes -= record.size
            self._live[record.segment] -= 1
            active = self._active is not None and record.segment == self._active_segment
            if not self._live[record.segment] and not active:
                del self._live[record.segment]
                self._dirty = True  # a whole segment is consumed: compaction can delete it

    def read(self, records: list[Record]) -> list[bytes]:
        """The bytes of pending records (SpoolDiskError names the file that failed)."""
        return read_spans([(self._path(r.segment), r.offset, r.size) for r in records])

    def compact(self) -> None:
        """Delete fully consumed segments, then rewrite the ledger with what still matters."""
        if not (self._dirty or self.ledger.lines > COMPACT_LINES):
            return
        live = {segment for segment, count in self._live.items() if count} | self.held
        if self._active is not None:
            live.add(self._active_segment)
        try:
            for path in self.directory.glob("seg-*.log"):  # first: a ledger that forgot a
                if int(path.stem[4:]) not in live:  # segment must never meet it again
                    path.unlink()
            fsync_dir(self.directory)
            for segment in set(self.ledger.consumed) | set(self.ledger.sizes):
                if segment not in live:
                    self.ledger.consumed.pop(segment, None)
                    self.ledger.sizes.pop(segment, None)
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
            write_atomically(self.directory / LEDGER, compacted(self.ledger, live))
        except OSError as exc:
            logger.error("spool: cannot compact %s (%s); will retry", self.directory, exc)
            return
        self._unwritten, self._dirty, self.ledger.lines = [], False, 0

    def close(self) -> None:
        """Note the active segment's final size, close files, release the directory lock."""
        self._close_active()
        if self._ledger is not None:
            with contextlib.suppress(OSError):
                self._ledger.close()
            self._ledger = None
        self._lock_handle.close()
