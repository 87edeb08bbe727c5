"""The spool's ledger (`ledger.jsonl`): one JSON line per decision about records, read at start.

Segments are never rewritten: what happened to a record is a line here. `op` is one of
  intent     records about to be inserted together, and their deduplication token
  done, drop, discard   records consumed: inserted, dropped past the limit, discarded by hand
  consumed   records consumed before the last compaction (counted in `totals` already)
  size       bytes and rows of a segment committed so far: what damage and truncation are
             measured against
  damage     rows and bytes of a segment lost to damage, its damaged regions, where the copy is
  totals     dropped and discarded rows up to the last compaction
A record is written `[segment, offset, rows]` (ledgers from before format 2: `[segment, offset]`).
The counters live here, beside the marks they count, so they can never disagree with the records
and no separate counters file can be reset by a failed write; `counters.json` (older spools) is
read once as the starting totals.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEDGER = "ledger.jsonl"
LEGACY_COUNTERS = "counters.json"
Key = tuple[int, int]


@dataclass
class Ledger:
    """What a ledger says: consumed records, the open intent, committed sizes, counters, damage."""

    consumed: dict[int, dict[int, int | None]] = field(default_factory=dict)  # seg → off → rows
    intent: tuple[list[Key], str] | None = None
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)  # seg → (bytes, rows)
    dropped_rows: int = 0
    discarded_rows: int = 0
    damage: list[dict[str, Any]] = field(default_factory=list)
    torn_lines: int = 0
    lines: int = 0

    def is_consumed(self, key: Key) -> bool:
        """True once the record at `key` was inserted, dropped or discarded."""
        return key[1] in self.consumed.get(key[0], {})

    def consume(self, records: list[list[Any]]) -> int:
        """Note `[segment, offset, rows]` entries as consumed; their known rows summed."""
        total = 0
        for entry in records:
            rows = int(entry[2]) if len(entry) > 2 and entry[2] is not None else None
            self.consumed.setdefault(int(entry[0]), {})[int(entry[1])] = rows
            total += rows or 0
        return total

    def damaged(self, segment: int | None = None) -> dict[str, int]:
        """Rows, bytes and regions of unknown size lost to damage (in one segment, or all)."""
        notes = [d for d in self.damage if segment is None or d["seg"] == segment]
        return {
            "rows": sum(int(d["rows"]) for d in notes),
            "bytes": sum(int(d["bytes"]) for d in notes),
            "unknown": sum(int(d.get("unknown", 0)) for d in notes),
        }

    def damaged_offsets(self, segment: int) -> set[int]:
        """Offsets of the regions already noted as damaged in `segment`."""
        return {int(r[0]) for d in self.damage if d["seg"] == segment for r in d["regions"]}


def _apply(ledger: Ledger, entry: dict[str, Any]) -> None:
    op = entry["op"]
    if op == "intent":
        keys = [(int(r[0]), int(r[1])) for r in entry["recs"]]
        ledger.intent = (keys, str(entry["batch_id"]))
    elif op in ("done", "consumed"):
        ledger.consume(entry["recs"])
    elif op in ("drop", "discard"):
        rows = ledger.consume(entry["recs"])
        rows = int(entry.get("rows", rows))
        if op == "drop":
            ledger.dropped_rows += rows
        else:
            ledger.discarded_rows += rows
    elif op == "size":
        ledger.sizes[int(entry["seg"])] = (int(entry["bytes"]), int(entry["rows"]))
    elif op == "damage":
        ledger.damage.append(entry)
        ledger.consume(entry.get("recs", []))  # a record found damaged when it was read
    elif op == "totals":
        ledger.dropped_rows = int(entry["dropped_rows"])
        ledger.discarded_rows = int(entry["discarded_rows"])


def read_ledger(directory: Path) -> Ledger:
    """The ledger of a spool directory (empty when there is none)."""
    ledger = Ledger()
    path = directory / LEDGER
    try:
        text = path.read_text()
    except FileNotFoundError:
        text = ""
    has_totals = False
    for line in text.splitlines():
        if not line.strip():
            continue  # ends a line a failed write left torn
        ledger.lines += 1
        try:
            entry = json.loads(line)
            has_totals = has_totals or entry["op"] == "totals"
            _apply(ledger, entry)
        except (ValueError, KeyError, TypeError, IndexError):
            ledger.torn_lines += 1  # a crash mid-append: that entry never took effect
    if not has_totals:  # a spool from before counters moved into the ledger
        with contextlib.suppress(OSError, ValueError, AttributeError):
            legacy = json.loads((directory / LEGACY_COUNTERS).read_text() or "{}")
            ledger.dropped_rows += int(legacy.get("dropped_rows", 0))
            ledger.discarded_rows += int(legacy.get("discarded_rows", 0))
    return ledger


def line(op: str, **fields: Any) -> str:
    """One ledger line."""
    return json.dumps({"op": op, **fields}, separators=(",", ":")) + "\n"


def compacted(ledger: Ledger, live_segments: set[int]) -> str:
    """The ledger rewritten with only what the live segments still need, and every count."""
    lines = [line("totals", dropped_rows=ledger.dropped_rows, discarded_rows=ledger.discarded_rows)]
    for segment in sorted(live_segments):
        offsets = ledger.consumed.get(segment, {})
        if offsets:
            recs = [[segment, offset, rows] for offset, rows in sorted(offsets.items())]
            lines.append(line("consumed", recs=recs))
        if segment in ledger.sizes:
            size, rows = ledger.sizes[segment]
            lines.append(line("size", seg=segment, bytes=size, rows=rows))
    lines += [json.dumps(note, separators=(",", ":")) + "\n" for note in ledger.damage]
    if ledger.intent:
        keys, batch_id = ledger.intent
        lines.append(line("intent", recs=[[s, o] for s, o in keys], batch_id=batch_id))
    return "".join(lines)
