"""A replica's own spool plus the orphaned spools of replicas that are gone, shipped first.

Replica ids often change on restart (a container's or a Deployment pod's hostname), which would
leave a dead replica's spool directory behind with nobody to ship it. At startup the backend
tries to take the lock of every sibling directory under CLICKHOUSE_SPOOL_DIR: a lock it gets
belongs to no live process, so those rows are adopted and shipped before its own (they are
older); a drained orphan is released. A sibling whose lock is held belongs to a live replica and
is left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.disk import Batch, DiskSpool, SpoolLockedError
from netra_backend.app.analytics.spool.errors import SpoolError
from netra_backend.app.analytics.spool.status import LOSS_KEYS, replica_directories

log = logging.getLogger("netra.analytics.spool")
_SUMMED = ("pending_rows", "discarded_rows", "bytes", "fsyncs", *LOSS_KEYS)


def adopt_orphans(own: DiskSpool) -> list[DiskSpool]:
    """Open (lock) every sibling spool no live process holds and that still has rows."""
    adopted = []
    for directory in replica_directories(Path(own.directory).parent):
        if directory == Path(own.directory):
            continue
        try:
            orphan = DiskSpool(directory, own.max_rows, own.max_bytes, own.policy)
        except SpoolLockedError:
            continue  # a live replica's
        except Exception as exc:  # damaged or unreadable: the doctor and `invoke spool` show it
            log.warning("spool: cannot adopt %s: %s", directory, exc)
            continue
        if orphan.status()["pending_rows"] == 0:
            orphan.close()
            continue
        log.warning(
            "spool: adopting %d rows left in %s by a replica that is gone",
            orphan.status()["pending_rows"], directory,
        )  # fmt: skip
        adopted.append(orphan)
    return adopted


class AdoptingSpool:
    """This replica's DiskSpool, and the orphans it adopted, behind DiskSpool's interface."""

    def __init__(self, own: DiskSpool, adopted: list[DiskSpool]) -> None:
        self.own = own
        self.adopted = list(adopted)
        self.directory = own.directory
        self._lock = threading.Lock()

    def commit(self, records: list[bytes]) -> list[SpoolError | None]:
        """New batches always go to this replica's own spool."""
        return self.own.commit(records)

    def ship(self, send: Callable[[Batch], object]) -> int:
        """Adopted rows first (older), then our own; a failure stops it (raised)."""
        sent = 0
        for orphan in list(self.adopted):
            sent += orphan.ship(send)
            if orphan.status()["pending_rows"]:
                return sent  # another thread was shipping it; keep the order
            orphan.close()  # drained: release it
            with self._lock:
                self.adopted.remove(orphan)
            log.info("spool: adopted %s drained and released", orphan.directory)
        return sent + self.own.ship(send)

    def status(self) -> dict[str, Any]:
        """This replica's status, with the adopted spools' rows and losses added in."""
        status = self.own.status()
        with self._lock:
            others = [orphan.status() for orphan in self.adopted]
        for other in others:
            for key in _SUMMED:
                status[key] += other[key]
            status["oldest_age_s"] = max(status["oldest_age_s"], other["oldest_age_s"])
            status["last_error"] = status["last_error"] or other["last_error"]
            status["damaged_copies"] += other["damaged_copies"]
        status["adopted"] = [other["directory"] for other in others]
        return status

    def discard(self) -> int:
        """Discard pending rows here and in the adopted spools."""
        with self._lock:
            others = list(self.adopted)
        return self.own.discard() + sum(orphan.discard() for orphan in others)

    def close(self) -> None:
        """Release every spool."""
        with self._lock:
            others, self.adopted = self.adopted, []
        for orphan in others:
            orphan.close()
        self.own.close()
