"""A bounded, durable on-disk spool for analytics rows that could not reach ClickHouse.

One directory per process (an exclusive lock; each backend replica needs its own):
  seg-NNNNNNNNNNNN.log  append-only, framed, checksummed records, one per spool() call, fsync'd
                        before spool() returns; a torn record (crash mid-write) is skipped
  ledger.jsonl          fsync'd lines: `intent` (records about to be inserted and their batch id)
                        and `done`/`drop`/`discard` (records consumed)
  counters.json         dropped and discarded row totals
Exactly once: replay inserts a group of records under one batch id written to the ledger before
the insert, so a retry after a lost acknowledgement (or a crash) re-sends the same rows under the
same id, which ClickHouse's insert_deduplication_token stores once. A batch spooled with the
caller's batch id (a direct insert that may have reached ClickHouse) is replayed alone, unchanged.
Past max_rows/max_bytes the policy drops the newest rows (the part of a batch that does not fit)
or the oldest whole records; every dropped row is counted, persisted and logged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.records import Record, encode_record
from netra_backend.app.analytics.spool.status import read_status
from netra_backend.app.analytics.spool.store import SEGMENT_BYTES, SpoolLockedError, SpoolStore

__all__ = ["POLICIES", "DiskSpool", "SpoolLockedError", "read_status"]
logger = logging.getLogger("netra.analytics.spool")
POLICIES = ("drop-newest", "drop-oldest")
DROP_LOG_INTERVAL_S = 10.0
InsertBatch = Callable[[str, list[dict[str, Any]], str], object]  # its return value is ignored


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
        self.max_rows, self.max_bytes, self.policy = max_rows, max_bytes, policy
        self._replay_rows = replay_batch_rows
        self._store = SpoolStore(directory, segment_bytes)
        self.directory = self._store.directory
        self._lock = self._store.lock
        self._replaying = False
        self._inflight: set[tuple[int, int]] = set()
        self._last_drop_log, self._unlogged_drops = 0.0, 0
        self.last_error: str | None = None

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
        store = self._store
        record = encode_record(table, rows, batch_id)
        over_rows = len(rows) > self.max_rows - store.pending_rows
        if over_rows or len(record) > self.max_bytes - store.pending_bytes:
            if self.policy == "drop-oldest":
                self._drop_oldest(len(rows), len(record))
            rows, record = self._fit(table, rows, batch_id, record)
            if not rows:
                return
        store.append(record)

    def _fit(self, table: str, rows: list[Any], batch_id: str | None, record: bytes) -> Any:
        """Shrink the new batch to the room left: keep its first rows (drop-newest) or last."""
        keep = min(len(rows), self.max_rows - self._store.pending_rows)
        room_bytes = self.max_bytes - self._store.pending_bytes
        while keep > 0:
            kept = rows[:keep] if self.policy == "drop-newest" else rows[len(rows) - keep :]
            record = encode_record(table, kept, batch_id)
            if len(record) <= room_bytes:
                break
            keep = min(keep - 1, keep * room_bytes // len(record))
        self._drop(len(rows) - max(keep, 0), f"spool full ({self.policy})")
        return (kept, record) if keep > 0 else ([], b"")

    def _drop_oldest(self, rows: int, size: int) -> None:
        store = self._store
        protected = self._inflight | set(store.intent[0] if store.intent else ())
        victims: list[Record] = []
        free_rows = self.max_rows - store.pending_rows
        free_bytes = self.max_bytes - store.pending_bytes
        for record in store.pending.values():
            if free_rows >= rows and free_bytes >= size:
                break
            if record.key not in protected:
                victims.append(record)
                free_rows, free_bytes = free_rows + record.rows, free_bytes + record.size
        if victims:
            store.consume("drop", victims)
            self._drop(sum(r.rows for r in victims), "spool full (drop-oldest)")

    def _drop(self, rows: int, reason: str) -> None:
        if rows <= 0:
            return
        with self._lock:
            self._store.counters["dropped_rows"] += rows
            self._store.save_counters()
            self._unlogged_drops += rows
            if time.monotonic() - self._last_drop_log >= DROP_LOG_INTERVAL_S:  # no log flood
                total = self._store.counters["dropped_rows"]
                logger.warning(
                    "spool: dropped %d rows (%s); %d dropped in total from %s",
                    self._unlogged_drops, reason, total, self.directory,
                )  # fmt: skip
                self._last_drop_log, self._unlogged_drops = time.monotonic(), 0

    # --- replay ------------------------------------------------------------------------------

    def replay(self, insert_batch: InsertBatch) -> int:
        """Send pending rows oldest first; stop at the first failure (kept); return rows sent."""
        sent = 0
        with self._lock:
            if self._replaying:  # another thread is replaying: this call has nothing to do
                return 0
            self._replaying = True
        try:
            while (group := self._claim_group()) is not None:
                records, batch_id = group
                try:
                    rows = [row for record in records for row in self._store.read_rows(record)]
                except (OSError, ValueError) as exc:  # damaged on disk: never retry forever
                    self._settle(records, "drop", f"unreadable on disk: {exc}")
                    continue
                try:
                    insert_batch(records[0].table, rows, batch_id)
                except Exception as exc:  # ClickHouse away again: keep the rest for later
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    logger.warning("spool: replay stopped, %s", self.last_error)
                    self._settle([], "", "")
                    break
                self._settle(records, "done", "")
                sent += len(rows)
                self.last_error = None
        finally:
            with self._lock:
                self._replaying = False
                self._store.compact()
        return sent

    def _claim_group(self) -> tuple[list[Record], str] | None:
        """The next records to insert together, under a batch id noted before the insert."""
        with self._lock:
            store = self._store
            if store.intent and all(k in store.pending for k in store.intent[0]):
                group = [store.pending[k] for k in store.intent[0]]  # unchanged after a failure
                batch_id = store.intent[1]
            else:
                group, rows = [], 0
                for record in store.pending.values():
                    if group and (
                        record.external or group[0].external or record.table != group[0].table
                        or rows + record.rows > self._replay_rows
                    ):  # fmt: skip
                        break
                    group.append(record)
                    rows += record.rows
                if not group:
                    return None
                batch_id = group[0].batch_id
                if len(group) > 1:
                    ids = "|".join(r.batch_id for r in group).encode()
                    batch_id = f"g-{hashlib.sha256(ids).hexdigest()[:32]}"
                store.note_intent([r.key for r in group], batch_id)
            self._inflight = {r.key for r in group}
            return group, batch_id

    def _settle(self, records: list[Record], op: str, reason: str) -> None:
        with self._lock:
            self._inflight = set()
            if records:
                self._store.consume(op, records)
                self._store.intent = None
            if op == "drop":
                logger.error("spool: %s", reason)
                self._drop(sum(r.rows for r in records), reason)

    # --- inspection --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Pending rows, age of the oldest, dropped rows, bytes, directory (for health/doctor)."""
        with self._lock:
            store = self._store
            oldest = next(iter(store.pending.values()), None)
            age = 0.0 if oldest is None else round(max(0.0, time.time() - oldest.created), 3)
            return {
                "pending_rows": store.pending_rows,
                "oldest_age_s": age,
                "dropped_rows": store.counters["dropped_rows"],
                "discarded_rows": store.counters["discarded_rows"],
                "bytes": store.pending_bytes,
                "directory": str(self.directory),
                "max_rows": self.max_rows,
                "max_bytes": self.max_bytes,
                "policy": self.policy,
                "last_error": self.last_error,
                "durable": True,
                "warning": "",
            }

    def discard(self) -> int:
        """Delete every pending row not being inserted right now; returns how many."""
        with self._lock:
            store = self._store
            victims = [r for r in store.pending.values() if r.key not in self._inflight]
            count = sum(r.rows for r in victims)
            if victims:
                store.consume("discard", victims)
                if not self._inflight:
                    store.intent = None
                store.counters["discarded_rows"] += count
                store.save_counters()
                logger.warning("spool: discarded %d pending rows in %s", count, self.directory)
            store.compact()
            return count

    def close(self) -> None:
        """Close files and release the directory lock."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> DiskSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
