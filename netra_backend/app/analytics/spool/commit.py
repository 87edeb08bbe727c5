"""Group commit: one thread appends every batch submitted meanwhile to the spool with one fsync.

While one fsync runs, the batches of other requests queue up; the next round takes them all.
Under load the fsyncs per batch fall well below one, and a lone request waits for one fsync.
Each batch's future resolves when its record is durable (None) or with the reason it is not.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from netra_backend.app.analytics.spool.errors import SpoolError

log = logging.getLogger("netra.analytics.spool")
_STOP = object()
Refusal = Callable[[SpoolError], Exception]  # turns the spool's reason into the caller's error


class GroupCommit:
    """Feeds `spool.commit(records)` from a queue on its own (supervised) thread."""

    def __init__(self, spool: Any, refusal: Refusal, on_commit: Callable[[], None]) -> None:
        self._spool = spool
        self._refusal = refusal
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.errors = 0  # unexpected failures the thread survived
        self._thread = threading.Thread(target=self._run, name="spool-commit", daemon=True)
        self._thread.start()

    def submit(self, record: bytes) -> Future[None]:
        """Queue an encoded record; the future says when it is durable."""
        future: Future[None] = Future()
        self._queue.put((record, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            while True:  # everything that queued during the last fsync joins this one
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is _STOP for item in items)
            batch = [item for item in items if item is not _STOP]
            # A request whose client went away cancelled its future: not written, not answered.
            live = [(rec, fut) for rec, fut in batch if fut.set_running_or_notify_cancel()]
            if live:
                self._commit(live)

    def _commit(self, live: list[tuple[bytes, Future[None]]]) -> None:
        try:
            results: list[Any] = self._spool.commit([record for record, _ in live])
        except Exception as exc:  # a bug must not kill the thread: these batches get 503
            self.errors += 1
            log.exception("spool commit failed unexpectedly (%d so far); the loop goes on",
                          self.errors)  # fmt: skip
            results = [SpoolError(f"spool commit failed: {type(exc).__name__}: {exc}")] * len(live)
        for (_, future), result in zip(live, results, strict=True):
            if result is None:
                future.set_result(None)
            else:
                future.set_exception(self._refusal(result))
        self._on_commit()
