"""A bounded, durable, append-only on-disk spool for analytics rows that could not be sent.

Layout of one spool directory (one process per directory, held by an exclusive lock):
  seg-NNNNNNNNNNNN.log  framed, checksummed records, one per spool() call (spool_format.py);
                        a torn or corrupt record (crash mid-write) ends that segment's scan
  ledger.jsonl          fsync'd lines: `intent` (the group about to be inserted, with its batch
                        id) and `done`/`drop`/`discard` (records consumed)
  counters.json         dropped/discarded row totals, replaced atomically
Exactly once: replay inserts a group of records under one batch id that is written to the ledger
before the insert, so a retry after a lost acknowledgement re-sends the same rows with the same
id, which ClickHouse's insert_deduplication_token stores once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netra_backend.app.db.spool_format import (
    Record,
    decode_rows,
    encode_record,
    fsync_dir,
    lock_exclusively,
    parse_record,
    write_atomically,
)

logger = logging.getLogger("netra.analytics.spool")
POLICIES = ("drop-newest", "drop-oldest")
SEGMENT_BYTES = 4 * 1024 * 1024
DROP_LOG_INTERVAL_S = 10.0
InsertBatch = Callable[[str, list[dict[str, Any]], str], None]


class SpoolLockedError(RuntimeError):
    """Another process holds this spool directory (each replica needs its own)."""


class DiskSpool:
    """Rows that could not reach ClickHouse, kept on disk until replayed (see module doc)."""

    def __init__(
        self,
        directory: Path | str,
        max_rows: int = 1_000_000,
        max_bytes: int = 256 * 1024 * 1024,
        policy: str = "drop-newest",
        *,
        segment_bytes: int = SEGMENT_BYTES,
        replay_batch_rows: int = 50_000,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"spool policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        if max_rows < 1 or max_bytes < 1:
            raise ValueError("spool limits must be positive")
        self.directory = Path(directory)
        self.max_rows, self.max_bytes, self.policy = max_rows, max_bytes, policy
        self._segment_bytes, self._replay_rows = segment_bytes, replay_batch_rows
        self._lock, self._replay_lock = threading.RLock(), threading.Lock()
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
        self._pending: dict[tuple[int, int], Record] = {}
        self.pending_rows = self.pending_bytes = 0  # kept in step with _pending
        self._consumed: dict[int, set[int]] = {}
        self._intent: tuple[list[tuple[int, int]], str] | None = None
        self._inflight: set[tuple[int, int]] = set()
        self._counters = {"dropped_rows": 0, "discarded_rows": 0}
        self._active: Any = None
        self._active_segment = 0
        self._last_drop_log, self._unlogged_drops = 0.0, 0
        self.last_error: str | None = None
        self._load()

    # --- opening -----------------------------------------------------------------------------

    def _load(self) -> None:
        counters = self.directory / "counters.json"
        if counters.exists():
            self._counters.update(json.loads(counters.read_text() or "{}"))
        ledger = self.directory / "ledger.jsonl"
        for line in ledger.read_text().splitlines() if ledger.exists() else []:
            try:
                entry = json.loads(line)
            except ValueError:
                logger.warning("spool ledger: skipped a torn line in %s", ledger)
                continue
            keys = [tuple(k) for k in entry["recs"]]
            if entry["op"] == "intent":
                self._intent = (keys, entry["batch_id"])
            else:
                for seg, off in keys:
                    self._consumed.setdefault(seg, set()).add(off)
        segments = sorted(self.directory.glob("seg-*.log"))
        for path in segments:
            self._scan(path, int(path.stem[4:]))
        self._active_segment = int(segments[-1].stem[4:]) if segments else 0
        self._cleanup()

    def _scan(self, path: Path, segment: int) -> None:
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            record = parse_record(data, offset, segment)
            if record is None:
                logger.warning(
                    "spool: torn or corrupt record in %s at byte %d; skipped %d bytes",
                    path.name, offset, len(data) - offset,
                )  # fmt: skip
                break
            if offset not in self._consumed.get(segment, ()):
                self._add(record)
            offset += record.size

    # --- writing -----------------------------------------------------------------------------

    def spool(self, table: str, rows: list[dict[str, Any]], batch_id: str | None = None) -> None:
        """Keep rows on disk (fsync'd before returning); never raises, counts what it drops."""
        if not rows:
            return
        try:
            with self._lock:
                self._append(table, list(rows), batch_id)
        except Exception as exc:  # a full or broken disk must not fail the request
            logger.error("spool: could not write %d rows to %s: %s", len(rows), self.directory, exc)
            self._drop(len(rows), "write failed")

    def _append(self, table: str, rows: list[dict[str, Any]], batch_id: str | None) -> None:
        record = encode_record(table, rows, batch_id)
        if (
            len(rows) > self.max_rows - self.pending_rows
            or len(record) > self.max_bytes - self.pending_bytes
        ):
            if self.policy == "drop-oldest":
                self._drop_oldest(len(rows), len(record))
            rows, record = self._fit(table, rows, batch_id, record)
            if not rows:
                return
        if self._active is None or self._active.tell() >= self._segment_bytes:
            self._roll()
        offset = self._active.tell()
        self._active.write(record)
        self._active.flush()
        os.fsync(self._active.fileno())  # durable before spool() returns
        parsed = parse_record(record, 0, self._active_segment)
        assert parsed is not None
        parsed.offset = offset
        self._add(parsed)

    def _add(self, record: Record) -> None:
        self._pending[record.key] = record
        self.pending_rows += record.rows
        self.pending_bytes += record.size

    def _fit(self, table: str, rows: list[Any], batch_id: str | None, record: bytes) -> Any:
        """Shrink the new batch to the room left: keep its first rows (drop-newest) or last."""
        keep = min(len(rows), self.max_rows - self.pending_rows)
        room_bytes = self.max_bytes - self.pending_bytes
        while keep > 0:
            kept = rows[:keep] if self.policy == "drop-newest" else rows[len(rows) - keep :]
            record = encode_record(table, kept, batch_id)
            if len(record) <= room_bytes:
                break
            keep = min(keep - 1, keep * room_bytes // len(record))
        self._drop(len(rows) - max(keep, 0), f"spool full ({self.policy})")
        return (kept, record) if keep > 0 else ([], b"")

    def _drop_oldest(self, rows: int, size: int) -> None:
        protected = self._inflight | set(self._intent[0] if self._intent else ())
        victims: list[Record] = []
        free_rows = self.max_rows - self.pending_rows
        free_bytes = self.max_bytes - self.pending_bytes
        for record in self._pending.values():
            if free_rows >= rows and free_bytes >= size:
                break
            if record.key not in protected:
                victims.append(record)
                free_rows, free_bytes = free_rows + record.rows, free_bytes + record.size
        if victims:
            self._consume("drop", victims)
            self._drop(sum(r.rows for r in victims), "spool full (drop-oldest)")

    def _roll(self) -> None:
        if self._active is not None:
            self._active.close()
        self._active_segment += 1
        path = self.directory / f"seg-{self._active_segment:012d}.log"
        self._active = open(path, "ab")
        fsync_dir(self.directory)

    def _ledger(self, op: str, keys: list[tuple[int, int]], batch_id: str = "") -> None:
        line = json.dumps({"op": op, "recs": keys, "batch_id": batch_id}) + "\n"
        with open(self.directory / "ledger.jsonl", "a") as ledger:
            ledger.write(line)
            ledger.flush()
            os.fsync(ledger.fileno())

    def _consume(self, op: str, records: list[Record]) -> None:
        self._ledger(op, [r.key for r in records])
        for record in records:
            if self._pending.pop(record.key, None) is not None:
                self.pending_rows -= record.rows
                self.pending_bytes -= record.size
            self._consumed.setdefault(record.segment, set()).add(record.offset)

    def _drop(self, rows: int, reason: str) -> None:
        if rows <= 0:
            return
        with self._lock:
            self._counters["dropped_rows"] += rows
            self._save_counters()
            self._unlogged_drops += rows
            if time.monotonic() - self._last_drop_log >= DROP_LOG_INTERVAL_S:
                logger.warning(
                    "spool: dropped %d rows (%s); %d dropped in total from %s",
                    self._unlogged_drops, reason, self._counters["dropped_rows"], self.directory,
                )  # fmt: skip
                self._last_drop_log, self._unlogged_drops = time.monotonic(), 0

    def _save_counters(self) -> None:
        write_atomically(self.directory / "counters.json", json.dumps(self._counters))

    # --- replay ------------------------------------------------------------------------------

    def replay(self, insert_batch: InsertBatch) -> int:
        """Send pending rows oldest first; stop at the first failure (kept); return rows sent."""
        sent = 0
        with self._replay_lock:
            while True:
                with self._lock:
                    group, batch_id = self._next_group()
                    if not group:
                        break
                    self._inflight = {r.key for r in group}
                try:
                    rows = [row for record in group for row in self._read_rows(record)]
                    insert_batch(group[0].table, rows, batch_id)
                except Exception as exc:  # ClickHouse away again: keep the rest for later
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    logger.warning("spool: replay stopped, %s", self.last_error)
                    break
                finally:
                    with self._lock:
                        self._inflight = set()
                with self._lock:
                    self._consume("done", group)
                    self._intent = None
                sent += len(rows)
                self.last_error = None
            with self._lock:
                self._cleanup()
        return sent

    def _next_group(self) -> tuple[list[Record], str]:
        """The next records to insert together, under a batch id recorded before the insert."""
        if self._intent and all(k in self._pending for k in self._intent[0]):
            return [self._pending[k] for k in self._intent[0]], self._intent[1]
        group: list[Record] = []
        for record in self._pending.values():
            if group and (
                record.external or group[0].external or record.table != group[0].table
                or sum(r.rows for r in group) + record.rows > self._replay_rows
            ):  # fmt: skip
                break
            group.append(record)
        if not group:
            return [], ""
        if len(group) == 1:
            batch_id = group[0].batch_id
        else:
            digest = hashlib.sha256("|".join(r.batch_id for r in group).encode()).hexdigest()
            batch_id = f"g-{digest[:32]}"
        self._ledger("intent", [r.key for r in group], batch_id)
        self._intent = ([r.key for r in group], batch_id)
        return group, batch_id

    def _read_rows(self, record: Record) -> list[dict[str, Any]]:
        with open(self.directory / f"seg-{record.segment:012d}.log", "rb") as segment:
            segment.seek(record.offset)
            return decode_rows(segment.read(record.size))

    def _cleanup(self) -> None:
        """Delete fully consumed segments and rewrite the ledger with what still matters."""
        live = {seg for seg, _ in self._pending}
        if not live and self._active is not None:
            self._active.close()
            self._active = None
        for path in self.directory.glob("seg-*.log"):
            segment = int(path.stem[4:])
            if segment not in live and not (self._active and segment == self._active_segment):
                path.unlink()
                self._consumed.pop(segment, None)
        entries = [
            {"op": "done", "recs": [[s, o] for o in sorted(offs)]}
            for s, offs in self._consumed.items()
        ]
        if self._intent:
            entries.append({"op": "intent", "recs": self._intent[0], "batch_id": self._intent[1]})
        write_atomically(
            self.directory / "ledger.jsonl", "".join(json.dumps(e) + "\n" for e in entries)
        )

    # --- inspection --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Pending rows, age of the oldest, dropped rows, bytes, directory (for health/doctor)."""
        with self._lock:
            oldest = min((r.created for r in self._pending.values()), default=None)
            return {
                "pending_rows": self.pending_rows,
                "oldest_age_s": None
                if oldest is None
                else round(max(0.0, time.time() - oldest), 3),
                "dropped_rows": self._counters["dropped_rows"],
                "discarded_rows": self._counters["discarded_rows"],
                "bytes": self.pending_bytes,
                "directory": str(self.directory),
                "max_rows": self.max_rows,
                "max_bytes": self.max_bytes,
                "policy": self.policy,
                "last_error": self.last_error,
            }

    def discard(self) -> int:
        """Delete every pending row not being inserted right now; returns how many."""
        with self._lock:
            victims = [r for r in self._pending.values() if r.key not in self._inflight]
            if self._intent and not self._inflight:
                self._intent = None
            count = sum(r.rows for r in victims)
            if victims:
                self._consume("discard", victims)
                self._counters["discarded_rows"] += count
                self._save_counters()
                logger.warning("spool: discarded %d pending rows in %s", count, self.directory)
            self._cleanup()
            return count

    def close(self) -> None:
        """Close files and release the directory lock."""
        with self._lock:
            if self._active is not None:
                self._active.close()
                self._active = None
            self._lock_handle.close()

    def __enter__(self) -> DiskSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
