"""Where analytics rows wait while ClickHouse is away: the protocol and the in-memory last resort.

The backend uses the durable `DiskSpool` (spool.py). `MemoryFallback` is only the last resort
when the spool directory is unusable: bounded, lost on restart, and its status says so (`durable`
False and a `warning`), which the `clickhouse:spool` health check shows.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

InsertBatch = Callable[[str, list[dict[str, Any]], str], None]


class Fallback(Protocol):
    """Keeps rows while ClickHouse is away and hands them back, oldest first."""

    def spool(self, table: str, rows: list[dict[str, Any]], batch_id: str | None = None) -> None:
        """Keep `rows` for `table` under `batch_id` (the id a failed direct insert used, so a
        replay deduplicates against it); never raises (past the limit rows are dropped, counted)."""

    def replay(self, insert_batch: InsertBatch) -> int:
        """insert_batch(table, rows, batch_id) oldest first; stop at the first exception."""

    def status(self) -> dict[str, Any]:
        """{"pending_rows", "oldest_age_s", "dropped_rows", "bytes", "durable", ...}."""


@dataclass
class _Batch:
    batch_id: str
    table: str
    rows: list[dict[str, Any]]
    size: int
    created: float


def estimate_bytes(rows: list[dict[str, Any]]) -> int:
    """Size of the rows as JSON, the unit every spool limit is counted in."""
    return len(json.dumps(rows, default=str, separators=(",", ":")))


class MemoryFallback:
    """A bounded in-memory queue of batches; rows past the limits are dropped and counted."""

    def __init__(
        self, max_rows: int = 100_000, max_bytes: int = 64 * 1024 * 1024, warning: str = ""
    ) -> None:
        self.warning = warning  # why rows are in memory instead of the disk spool, if they are
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._batches: deque[_Batch] = deque()
        self._rows = 0
        self._bytes = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def spool(self, table: str, rows: list[dict[str, Any]], batch_id: str | None = None) -> None:
        """Keep a batch, or count it as dropped when it would pass a limit; never raises."""
        try:
            size = estimate_bytes(rows)
        except Exception:  # an unserialisable row must not reach the caller either
            size = 0
        with self._lock:
            if self._rows + len(rows) > self.max_rows or self._bytes + size > self.max_bytes:
                # Newest rows are the ones dropped: what is kept replays in order, no gaps.
                self._dropped += len(rows)
                return
            self._batches.append(
                _Batch(batch_id or uuid.uuid4().hex, table, list(rows), size, time.time())
            )
            self._rows += len(rows)
            self._bytes += size

    def replay(self, insert_batch: InsertBatch) -> int:
        """Insert batches oldest first; a batch leaves only after its insert succeeded."""
        replayed = 0
        while True:
            with self._lock:
                if not self._batches:
                    return replayed
                batch = self._batches[0]
            try:
                insert_batch(batch.table, batch.rows, batch.batch_id)
            except Exception:
                return replayed  # status() shows what is left; the caller retries later
            with self._lock:
                if self._batches and self._batches[0] is batch:
                    self._batches.popleft()
                    self._rows -= len(batch.rows)
                    self._bytes -= batch.size
            replayed += len(batch.rows)

    def status(self) -> dict[str, Any]:
        """Pending rows, age of the oldest in seconds, rows dropped so far, bytes held."""
        with self._lock:
            oldest = self._batches[0].created if self._batches else None
            return {
                "pending_rows": self._rows,
                "oldest_age_s": round(time.time() - oldest, 3) if oldest else 0.0,
                "dropped_rows": self._dropped,
                "bytes": self._bytes,
                "durable": False,
                "warning": self.warning,
                "directory": None,
            }
