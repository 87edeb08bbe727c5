"""The files of one spool directory and their in-memory index: segments, ledger, counters, lock.

Segments are append-only; a record is consumed (replayed, dropped, discarded) by a fsync'd ledger
line, never by rewriting a segment. A segment whose records are all consumed is deleted and the
ledger compacted. Callers hold `lock` around every method here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.records import (
    Keys,
    Record,
    decode_rows,
    fsync_dir,
    ledger_line,
    ledger_text,
    lock_exclusively,
    parse_record,
    read_ledger,
    scan_segment,
    write_atomically,
)
from netra_backend.errors import NetraBackendError

logger = logging.getLogger("netra.analytics.spool")
SEGMENT_BYTES = 4 * 1024 * 1024


class SpoolLockedError(NetraBackendError, RuntimeError):
    """Another process holds this spool directory (each replica needs its own)."""


class SpoolStore:
    """Pending records (oldest first), consumed offsets, the current intent, and counters."""

    def __init__(self, directory: Path | str, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = Path(directory)
        self.lock = threading.RLock()
        self._segment_bytes = segment_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_handle = open(self.directory / "spool.lock", "a+")
        try:
            lock_exclusively(self._lock_handle)
        except OSError:
            self._lock_handle.close()
            raise SpoolLockedError(
                f"spool directory {self.directory} is in use by another process; "
                "each backend replica needs its own spool directory"
            ) from None
        self.pending: dict[tuple[int, int], Record] = {}  # insertion order = oldest first
        self.pending_rows = self.pending_bytes = 0  # kept in step with `pending`
        self.intent: tuple[Keys, str] | None = None  # the group being (or last) inserted
        self.counters = {"dropped_rows": 0, "discarded_rows": 0}
        self._active: Any = None
        self._active_segment = 0
        self._dirty = True  # the ledger holds entries a compaction could fold
        self._load()

    def _load(self) -> None:
        counters = self.directory / "counters.json"
        if counters.exists():
            self.counters.update(json.loads(counters.read_text() or "{}"))
        self._consumed, self.intent, torn = read_ledger(self.directory / "ledger.jsonl")
        if torn:
            logger.warning("spool: skipped %d torn ledger line(s) in %s", torn, self.directory)
        segments = sorted(self.directory.glob("seg-*.log"))
        for path in segments:
            segment = int(path.stem[4:])
            records, torn_bytes = scan_segment(path, segment)
            if torn_bytes:
                logger.warning("spool: skipped %d torn bytes at the end of %s", torn_bytes, path)
            for record in records:
                if record.offset not in self._consumed.get(segment, ()):
                    self._add(record)
        self._active_segment = int(segments[-1].stem[4:]) if segments else 0
        self.compact()

    def _add(self, record: Record) -> None:
        self.pending[record.key] = record
        self.pending_rows += record.rows
        self.pending_bytes += record.size

    def append(self, record_bytes: bytes) -> None:
        """Write one encoded record and fsync it: durable once this returns."""
        if self._active is None or self._active.tell() >= self._segment_bytes:
            if self._active is not None:
                self._active.close()
            self._active_segment += 1  # never append to a segment from before a restart
            self._active = open(self.directory / f"seg-{self._active_segment:012d}.log", "ab")
            fsync_dir(self.directory)
        offset = self._active.tell()
        try:
            self._active.write(record_bytes)
            self._active.flush()
            os.fsync(self._active.fileno())
        except OSError:  # e.g. disk full: leave no torn record that would hide later ones
            with contextlib.suppress(OSError):
                self._active.truncate(offset)
            with contextlib.suppress(OSError):
                self._active.close()
            self._active = None  # the next record starts a fresh segment regardless
            raise
        record = parse_record(record_bytes, 0, self._active_segment)
        assert record is not None, "a record we just encoded must parse"
        record.offset = offset
        self._add(record)

    def read_rows(self, record: Record) -> list[dict[str, Any]]:
        """The rows of a pending record, read back from its segment."""
        with open(self.directory / f"seg-{record.segment:012d}.log", "rb") as segment:
            segment.seek(record.offset)
            return decode_rows(segment.read(record.size))

    def note_intent(self, keys: Keys, batch_id: str) -> None:
        """Record (fsync'd) which records are about to be inserted under which batch id."""
        self._ledger_append(ledger_line("intent", keys, batch_id))
        self.intent = (keys, batch_id)

    def consume(self, op: str, records: list[Record]) -> None:
        """Mark records done/drop/discard (fsync'd) and forget them."""
        self._ledger_append(ledger_line(op, [r.key for r in records]))
        for record in records:
            if self.pending.pop(record.key, None) is not None:
                self.pending_rows -= record.rows
                self.pending_bytes -= record.size
            self._consumed.setdefault(record.segment, set()).add(record.offset)

    def _ledger_append(self, line: str) -> None:
        self._dirty = True
        with open(self.directory / "ledger.jsonl", "a") as ledger:
            ledger.write(line)
            ledger.flush()
            os.fsync(ledger.fileno())

    def save_counters(self) -> None:
        """Persist the dropped/discarded totals (atomically)."""
        write_atomically(self.directory / "counters.json", json.dumps(self.counters))

    def compact(self) -> None:
        """Delete fully consumed segments and rewrite the ledger with what still matters."""
        if not self._dirty:
            return
        live = {segment for segment, _ in self.pending}
        if not live and self._active is not None:
            self._active.close()
            self._active = None
        for path in self.directory.glob("seg-*.log"):
            segment = int(path.stem[4:])
            if segment not in live and not (self._active and segment == self._active_segment):
                path.unlink()
                self._consumed.pop(segment, None)
        write_atomically(self.directory / "ledger.jsonl", ledger_text(self._consumed, self.intent))
        self._dirty = False

    def close(self) -> None:
        """Close files and release the directory lock."""
        if self._active is not None:
            self._active.close()
            self._active = None
        self._lock_handle.close()
