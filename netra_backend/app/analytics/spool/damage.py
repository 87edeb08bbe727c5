"""What damage to a segment cost (rows and bytes of acknowledged batches), and its copy kept aside.

A segment's committed size (`size` lines in the ledger: bytes and rows) is what a scan is measured
against. Inside it, every row is accounted for: intact records, damaged records whose header
still says their rows, and the rest, which the committed row count gives exactly. Past it, a
damaged record followed by intact ones is damage (its header says its rows, or it counts as a
region of unknown size); bytes at the very end are a write that a crash cut short before any
acknowledgement, and are not a loss. A record already inserted costs nothing when damaged.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from netra_backend.app.analytics.spool.ledger import Ledger
from netra_backend.app.analytics.spool.records import Region, SegmentScan, fsync_dir

DAMAGED_DIR = "damaged"


@dataclass
class Loss:
    """Rows and bytes of one segment lost to damage, and the regions they were in."""

    segment: int
    rows: int = 0
    bytes: int = 0
    unknown: int = 0  # damaged regions whose rows nothing on disk can tell
    regions: list[Region] = field(default_factory=list)
    unfinished: Region | None = None  # the end of a write a crash interrupted (never acknowledged)

    def __bool__(self) -> bool:
        return bool(self.regions)


def _committed_rows_lost(scan: SegmentScan, ledger: Ledger, segment: int, size: int) -> int:
    """Rows inside the committed size that are neither intact, nor a known record, nor inserted."""
    committed_rows = ledger.sizes[segment][1]
    intact = {r.offset: r.rows for r in scan.records if r.offset < size}
    known = {r.offset: r.rows or 0 for r in scan.regions if r.rows is not None and r.offset < size}
    consumed = ledger.consumed.get(segment, {})
    inserted_unseen = sum(
        rows or 0
        for offset, rows in consumed.items()
        if offset < size and offset not in intact and offset not in known
    )
    unseen = committed_rows - sum(intact.values()) - sum(known.values()) - inserted_unseen
    return max(unseen, 0)


def assess(scan: SegmentScan, ledger: Ledger, segment: int) -> Loss:
    """The loss in one scanned segment, all of it (noted in the ledger before or not)."""
    size = ledger.sizes.get(segment, (0, 0))[0]
    regions = list(scan.regions)
    loss = Loss(segment)
    last = regions[-1] if regions else None
    if last and last.offset + last.size == scan.length and last.offset >= size:
        loss.unfinished = regions.pop()
    if scan.length < size:  # truncated: committed bytes are gone
        regions.append(Region(scan.length, size - scan.length, None))
    consumed = ledger.consumed.get(segment, {})
    for region in regions:
        if region.rows is not None and region.offset in consumed:
            continue  # inserted before it was damaged: nothing lost
        loss.regions.append(region)
        loss.bytes += region.size
        if region.rows is not None:
            loss.rows += region.rows
        elif region.offset >= size:
            loss.unknown += 1
    blind = [r for r in loss.regions if r.rows is None and r.offset < size]
    if blind:
        unseen = _committed_rows_lost(scan, ledger, segment, size)
        if not unseen:  # they held only records already inserted: nothing lost there
            loss.regions = [r for r in loss.regions if r not in blind]
            loss.bytes -= sum(r.size for r in blind)
        loss.rows += unseen
    return loss


def unnoted(loss: Loss, ledger: Ledger) -> Loss:
    """The part of `loss` the ledger does not hold yet (new damage since it was noted)."""
    noted = ledger.damaged(loss.segment)
    offsets = ledger.damaged_offsets(loss.segment)
    fresh = [r for r in loss.regions if r.offset not in offsets]
    if not fresh:
        return Loss(loss.segment, unfinished=loss.unfinished)
    return Loss(
        loss.segment,
        rows=max(loss.rows - noted["rows"], 0),
        bytes=sum(r.size for r in fresh),
        unknown=max(loss.unknown - noted["unknown"], 0),
        regions=fresh,
        unfinished=loss.unfinished,
    )


def set_aside(directory: Path, segment_path: Path) -> str | None:
    """Keep the damaged segment as `damaged/<name>` (a hard link: no space needed); its relative
    path, or None when neither a link nor a copy could be made (the segment itself stays then)."""
    target = directory / DAMAGED_DIR / segment_path.name
    try:
        target.parent.mkdir(exist_ok=True)
        if not target.exists():
            try:
                target.hardlink_to(segment_path)
            except OSError:  # a filesystem without hard links: a real copy
                try:
                    shutil.copyfile(segment_path, target)
                except OSError:
                    target.unlink(missing_ok=True)  # never leave half a copy that looks whole
                    raise
            with contextlib.suppress(OSError):
                fsync_dir(target.parent)
    except OSError:
        return None
    return f"{DAMAGED_DIR}/{segment_path.name}"
