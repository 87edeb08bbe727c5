"""Read a spool's status from its files without its lock (the doctor and `invoke spool` call this
while the backend runs), and the owner file that says which backend process holds a spool.

A read races with the owner's writes: a record appended meanwhile may be missed or a record just
shipped counted once more; a segment deleted by compaction is skipped (all its rows were
consumed). The numbers are a snapshot, which is all a status needs. Losses are exact: damage the
owner noted in the ledger, plus damage this read finds that nobody noted yet (a backend that has
not started since), measured the same way (damage.py).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from netra_backend.app.analytics.spool.damage import assess, unnoted
from netra_backend.app.analytics.spool.files import write_atomically
from netra_backend.app.analytics.spool.ledger import read_ledger
from netra_backend.app.analytics.spool.records import scan_segment

OWNER_FILE = "owner.json"
_SPOOL_MARKERS = ("spool.lock", "ledger.jsonl", "counters.json")
LOSS_KEYS = ("dropped_rows", "damaged_rows", "damaged_bytes", "damaged_unknown")


def is_spool_directory(path: Path) -> bool:
    """True when `path` holds a spool's files (not a parent of replica directories)."""
    return any((path / name).exists() for name in _SPOOL_MARKERS) or any(path.glob("seg-*.log"))


def write_owner(directory: Path, url: str | None) -> None:
    """Note which process owns the spool and where its backend answers (for `invoke spool`)."""
    payload = {"pid": os.getpid(), "started": time.time(), "url": url}
    write_atomically(directory / OWNER_FILE, json.dumps(payload))


def read_owner(directory: Path) -> dict[str, Any]:
    """The owner note ({} when there is none or it is unreadable)."""
    try:
        owner = json.loads((directory / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _read_one(directory: Path) -> dict[str, Any]:
    ledger = read_ledger(directory)
    pending_rows = pending_bytes = 0
    oldest: float | None = None
    damage = [
        {"segment": f"seg-{d['seg']:012d}.log", "rows": d["rows"], "bytes": d["bytes"],
         "unknown": d.get("unknown", 0), "copy": str(directory / d["copy"])}
        for d in ledger.damage
    ]  # fmt: skip
    for path in sorted(directory.glob("seg-*.log")):
        segment = int(path.stem[4:])
        try:
            scan = scan_segment(path.read_bytes(), segment)
        except FileNotFoundError:  # compacted away while we looked: nothing in it was pending
            continue
        for record in scan.records:
            if ledger.is_consumed(record.key):
                continue
            pending_rows += record.rows
            pending_bytes += record.size
            oldest = record.created if oldest is None else min(oldest, record.created)
        if fresh := unnoted(assess(scan, ledger, segment), ledger):
            damage.append({"segment": path.name, "rows": fresh.rows, "bytes": fresh.bytes,
                           "unknown": fresh.unknown, "copy": None})  # fmt: skip
    return {
        "pending_rows": pending_rows,
        "oldest_age_s": 0.0 if oldest is None else round(max(0.0, time.time() - oldest), 3),
        "dropped_rows": ledger.dropped_rows,
        "discarded_rows": ledger.discarded_rows,
        "damaged_rows": sum(int(d["rows"]) for d in damage),
        "damaged_bytes": sum(int(d["bytes"]) for d in damage),
        "damaged_unknown": sum(int(d["unknown"]) for d in damage),
        "damage": damage,
        "bytes": pending_bytes,
        "directory": str(directory),
        "owner": read_owner(directory),
    }


def read_one(directory: Path, attempts: int = 3) -> dict[str, Any]:
    """The status of one spool directory; retried when a concurrent compaction tore the read."""
    for attempt in range(attempts):
        try:
            return _read_one(directory)
        except (OSError, ValueError, KeyError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def replica_directories(directory: Path | str) -> list[Path]:
    """The spool directories at `directory`: itself, or the replica directories inside it."""
    root = Path(directory)
    if not root.is_dir():
        return []
    if is_spool_directory(root):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and is_spool_directory(p))


def read_status(directory: Path | str) -> dict[str, Any]:
    """pending_rows, oldest_age_s, dropped_rows, damaged_rows/_bytes/_unknown, damage, bytes,
    directory (+ discarded_rows, replicas): for one replica's spool directory, or summed over the
    replica directories inside a parent. Takes no lock; a missing directory reads as empty."""
    replicas = [read_one(path) for path in replica_directories(directory)]
    summed = ("pending_rows", "discarded_rows", "bytes", *LOSS_KEYS)
    status: dict[str, Any] = {key: sum(r[key] for r in replicas) for key in summed}
    status["oldest_age_s"] = max((r["oldest_age_s"] for r in replicas), default=0.0)
    status["damage"] = [d for r in replicas for d in r["damage"]]
    status["directory"] = str(Path(directory))
    status["replicas"] = replicas
    return status
