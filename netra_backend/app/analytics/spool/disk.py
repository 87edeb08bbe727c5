"""This replica's analytics spool: a write-ahead log of accepted batches, shipped to ClickHouse.

`commit()` appends batches with one fsync for all of them (group commit) and says, per batch,
whether it is durable; only then does POST /api/events answer 202. `ship()` sends what waits,
oldest first: a group of records goes under one deduplication token that the ledger notes
(fsync'd) before the insert and marks done after it, so a crash in between sends the same group
under the same token again and ClickHouse stores it once. Past max_rows/max_bytes the policy
refuses the new batch (`drop-newest`: 503, nothing acknowledged is lost) or drops the oldest
records (`drop-oldest`: counted as dropped). Files and their format: store.py, records.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.batches import Batch, join, join_rows, next_group
from netra_backend.app.analytics.spool.damage import DAMAGED_DIR
from netra_backend.app.analytics.spool.errors import (
    SpoolDiskError,
    SpoolError,
    SpoolFullError,
    SpoolLockedError,
)
from netra_backend.app.analytics.spool.records import (
    HEADER,
    Record,
    decode_columns,
    encode_record,
    rows_body,
    rows_to_columns,
)
from netra_backend.app.analytics.spool.status import read_status
from netra_backend.app.analytics.spool.store import SEGMENT_BYTES, SpoolStore

__all__ = ["POLICIES", "Batch", "DiskSpool", "SpoolLockedError", "read_status"]
logger = logging.getLogger("netra.analytics.spool")
POLICIES = ("drop-newest", "drop-oldest")
LOG_INTERVAL_S = 10.0


class DiskSpool:
    """Accepted batches on disk until ClickHouse has them (see module doc)."""

    def __init__(
        self,
        directory: Path | str,
        max_rows: int = 1_000_000,
        max_bytes: int = 256 * 1024 * 1024,
        policy: str = "drop-newest",
        *,
        segment_bytes: int = SEGMENT_BYTES,
        ship_batch_rows: int = 50_000,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"spool policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        if max_rows < 1 or max_bytes < 1:
            raise ValueError("spool limits must be positive")
        self.max_rows, self.max_bytes, self.policy = max_rows, max_bytes, policy
        self._ship_rows = ship_batch_rows
        self._store = SpoolStore(directory, segment_bytes)
        self.directory = self._store.directory
        self._lock = self._store.lock
        self._shipping = self._closed = False
        self._inflight: set[tuple[int, int]] = set()
        self._logged: dict[str, float] = {}
        self.disk_error: str | None = None  # the last write that failed, until one succeeds
        self.last_error: str | None = None  # the last failed insert
        self.committed_batches = self.committed_rows = 0

    # --- writing -----------------------------------------------------------------------------

    def commit(self, records: list[bytes]) -> list[SpoolError | None]:
        """Append encoded records with one fsync; per record None (durable) or why not."""
        results: list[SpoolError | None] = []
        accepted: list[bytes] = []
        with self._lock:
            if self._closed:
                return [SpoolError(f"spool {self.directory} is closed")] * len(records)
            rows = size = 0
            for record in records:
                count = HEADER.unpack_from(record)[1]
                fits = self._fits(rows + count, size + len(record))
                results.append(None if fits else self._full())
                if fits:
                    accepted.append(record)
                    rows, size = rows + count, size + len(record)
            try:
                if accepted:
                    self._store.append(accepted)
            except SpoolDiskError as exc:
                self._disk_trouble(exc)
                return [exc if result is None else result for result in results]
            self._disk_ok()
            self._drop_oldest_past_limits()  # only now: never drop for a batch not written
            self.committed_batches += len(accepted)
            self.committed_rows += rows
        return results

    def spool(self, table: str, rows: list[dict[str, Any]], batch_id: str | None = None) -> None:
        """Commit one batch of dict rows now (tools and tests); raises SpoolError if refused."""
        keys, columns = rows_to_columns(rows)
        refused = self.commit([encode_record(table, keys, columns, batch_id)])[0]
        if refused is not None:
            raise refused

    def _protected(self) -> set[tuple[int, int]]:
        """Records that must not be dropped: being inserted, or noted for the next insert."""
        intent = self._store.ledger.intent
        return self._inflight | set(intent[0] if intent else ())

    def _fits(self, rows: int, size: int) -> bool:
        """Whether `rows`/`size` more fit, counting what drop-oldest may drop to make room."""
        store = self._store
        kept_rows, kept_bytes = store.pending_rows, store.pending_bytes
        if self.policy == "drop-oldest":
            kept = [store.pending[key] for key in self._protected() if key in store.pending]
            kept_rows, kept_bytes = sum(r.rows for r in kept), sum(r.size for r in kept)
        return kept_rows + rows <= self.max_rows and kept_bytes + size <= self.max_bytes

    def _full(self) -> SpoolFullError:
        store = self._store
        return SpoolFullError(
            f"spool full: {store.pending_rows} rows ({store.pending_bytes} bytes) wait in "
            f"{self.directory}, the limit is {self.max_rows} rows / {self.max_bytes} bytes "
            "(CLICKHOUSE_SPOOL_MAX_ROWS / CLICKHOUSE_SPOOL_MAX_BYTES)"
        )

    def _drop_oldest_past_limits(self) -> None:
        """drop-oldest: drop whole records, oldest first, until the spool is within its limits."""
        store = self._store
        over_rows = store.pending_rows - self.max_rows
        over_bytes = store.pending_bytes - self.max_bytes
        if over_rows <= 0 and over_bytes <= 0:
            return
        protected, victims = self._protected(), []
        for record in store.pending.values():
            if over_rows <= 0 and over_bytes <= 0:
                break
            if record.key not in protected:
                victims.append(record)
                over_rows, over_bytes = over_rows - record.rows, over_bytes - record.size
        store.consume("drop", victims)
        self._log_every("drop", logging.WARNING, "spool: dropped the oldest %d rows in %s to "
                        "make room (drop-oldest); %d dropped in total",
                        sum(r.rows for r in victims), self.directory,
                        store.ledger.dropped_rows)  # fmt: skip

    def _disk_trouble(self, exc: SpoolDiskError) -> None:
        self.disk_error = str(exc)
        self._log_every("disk", logging.ERROR, "%s; new events get 503 until it can", exc)

    def _disk_ok(self) -> None:
        if self.disk_error is not None:
            logger.warning("spool: %s is writable again (was: %s)", self.directory, self.disk_error)
            self.disk_error = None

    def _log_every(self, topic: str, level: int, message: str, *args: Any) -> None:
        """Log at most once per LOG_INTERVAL_S per topic: a full disk must not flood the log."""
        if time.monotonic() - self._logged.get(topic, -LOG_INTERVAL_S) >= LOG_INTERVAL_S:
            logger.log(level, message, *args)
            self._logged[topic] = time.monotonic()

    # --- shipping ----------------------------------------------------------------------------

    def ship(self, send: Callable[[Batch], object]) -> int:
        """Send pending rows oldest first; stop at the first failure (raised, rows kept)."""
        with self._lock:
            if self._shipping or self._closed:  # another thread ships: nothing to do here
                return 0
            self._shipping = True
        sent = 0
        try:
            while (group := self._claim()) is not None:
                records, batch_id = group
                batch = self._read(records, batch_id)
                if batch is not None:
                    send(batch)
                    sent += len(batch)
                self._settle(records)
                self.last_error = None
        except SpoolDiskError as exc:  # the disk, not ClickHouse: say so, keep every row
            self.last_error = str(exc)
            self._log_every("ship", logging.ERROR, "%s; shipping waits for the disk", exc)
            raise
        except Exception as exc:
            self.last_error = (str(exc) or type(exc).__name__)[:300]
            raise
        finally:
            with self._lock:
                self._shipping = False
                self._inflight = set()
                if not self._closed:
                    self._store.compact()
        return sent

    def _claim(self) -> tuple[list[Record], str] | None:
        """The next records to send together, under a token the ledger notes before the insert."""
        with self._lock:
            store = self._store
            if store.ledger.intent:  # a group that may have reached ClickHouse: same token
                keys, batch_id = store.ledger.intent
                group = [store.pending[k] for k in keys if k in store.pending]
                if group:
                    self._inflight = {r.key for r in group}
                    return group, batch_id
                store.ledger.intent = None
            found = next_group(store.pending.values(), self._ship_rows)
            if found is None:
                return None
            group, batch_id = found
            store.note_intent(group, batch_id)
            self._inflight = {r.key for r in group}
            return group, batch_id

    def _read(self, records: list[Record], batch_id: str) -> Batch | None:
        """The group's rows; a record that no longer reads back whole is set aside and counted."""
        with self._lock:
            data = self._store.read(records)
        columns = records[0].columns  # a group shares its layout (next_group)
        parts: list[Any] = []
        damaged, rows = [], 0
        for record, record_bytes in zip(records, data, strict=True):
            try:
                parts.append(rows_body(record_bytes) if columns else decode_columns(record_bytes))
                rows += record.rows
            except (ValueError, KeyError, TypeError) as exc:
                damaged.append((record, str(exc)))
        if damaged:
            with self._lock:
                for record, why in damaged:
                    self._store.note_damaged_record(record, why)
        if not parts:
            return None
        if columns:
            return join_rows(records[0].table, list(columns), parts, rows, batch_id)
        return join(records[0].table, parts, batch_id)

    def _settle(self, records: list[Record]) -> None:
        with self._lock:
            self._store.consume("done", [r for r in records if r.key in self._store.pending])
            self._store.ledger.intent = None
            self._inflight = set()

    # --- inspection --------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Pending rows and their age, every loss (dropped, damaged), disk trouble, counters."""
        with self._lock:
            store = self._store
            oldest = next(iter(store.pending.values()), None)
            age = 0.0 if oldest is None else round(max(0.0, time.time() - oldest.created), 3)
            damaged = store.ledger.damaged()
            return {
                "pending_rows": store.pending_rows,
                "oldest_age_s": age,
                "bytes": store.pending_bytes,
                "dropped_rows": store.ledger.dropped_rows,
                "discarded_rows": store.ledger.discarded_rows,
                "damaged_rows": damaged["rows"],
                "damaged_bytes": damaged["bytes"],
                "damaged_unknown": damaged["unknown"],
                "damaged_copies": sorted(
                    {str(self.directory / d["copy"]) for d in store.ledger.damage}
                ),  # fmt: skip
                "damaged_dir": str(self.directory / DAMAGED_DIR),
                "directory": str(self.directory),
                "max_rows": self.max_rows,
                "max_bytes": self.max_bytes,
                "policy": self.policy,
                "disk_error": self.disk_error,
                "last_error": self.last_error,
                "durable": True,
                "warning": "",
                "committed_batches": self.committed_batches,
                "committed_rows": self.committed_rows,
                "fsyncs": store.fsyncs,
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
                    store.ledger.intent = None
                logger.warning("spool: discarded %d pending rows in %s", count, self.directory)
            store.compact()
            return count

    def close(self) -> None:
        """Note the final sizes, close files and release the directory lock."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._store.close()

    def __enter__(self) -> DiskSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
