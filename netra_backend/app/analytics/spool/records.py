"""The spool's on-disk format: framed, checksummed records of JSON rows, the ledger, file helpers.

A record is `magic | payload length | crc32(payload)` + payload; the payload is one JSON line of
metadata (`t` table, `b` batch id, `ts` time, `n` rows, `x` caller's id, `dt` datetime columns)
and then the rows. Rows that share their keys (the usual case) are stored by column, which is
about half the size of a list of objects and decodes twice as fast; datetimes in such columns are
ISO text restored on read. Other batches are stored as objects with tagged datetimes.
The file operations that differ by platform (directory fsync, locking) come from `_posix` or
`_windows`, chosen once at import.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_backend.app.analytics.spool import _windows as os_files
else:
    from netra_backend.app.analytics.spool import _posix as os_files

fsync_dir = os_files.fsync_dir
lock_exclusively = os_files.lock_exclusively

HEADER = struct.Struct("<4sII")  # magic, payload length, crc32(payload)
MAGIC = b"NSP1"


@dataclass
class Record:
    """Where one spooled batch lives and what it holds (its rows stay on disk)."""

    segment: int
    offset: int
    size: int
    rows: int
    table: str
    batch_id: str
    created: float
    external: bool  # the caller's batch id, maybe already tried: never merged with others

    @property
    def key(self) -> tuple[int, int]:
        """(segment, offset): the record's identity in the ledger."""
        return (self.segment, self.offset)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return str(value)  # UUID, Decimal, ...: their text is what ClickHouse parses


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
    return obj


def _is_datetime_column(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(type(v) is datetime for v in present)


def encode_record(table: str, rows: list[dict[str, Any]], batch_id: str | None) -> bytes:
    """A framed record for `rows` (batch id generated when the caller gives none)."""
    meta: dict[str, Any] = {"t": table, "b": batch_id or uuid.uuid4().hex, "ts": time.time()}
    meta.update(n=len(rows), x=batch_id is not None, dt=[])
    keys = rows[0].keys()
    if all(row.keys() == keys for row in rows):
        columns = {key: [row[key] for row in rows] for key in keys}
        for key, values in columns.items():
            if _is_datetime_column(values):
                meta["dt"].append(key)
                columns[key] = [None if v is None else v.isoformat() for v in values]
        body: Any = {"k": list(columns), "c": list(columns.values())}
    else:
        body = {"r": rows}
    tagged = False

    def default(value: Any) -> Any:
        nonlocal tagged
        tagged = tagged or isinstance(value, date)  # datetime is a date too
        return _encode(value)

    text = json.dumps(body, default=default, separators=(",", ":"))
    meta["tag"] = tagged  # only then does reading need the (slower) object hook
    payload = json.dumps(meta).encode() + b"\n" + text.encode()
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def parse_record(data: bytes, offset: int, segment: int) -> Record | None:
    """The record at `offset`, or None when it is torn or corrupt (short, bad magic or crc)."""
    if len(data) - offset < HEADER.size:
        return None
    magic, length, crc = HEADER.unpack_from(data, offset)
    payload = data[offset + HEADER.size : offset + HEADER.size + length]
    if magic != MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
        return None
    try:
        meta = json.loads(payload[: payload.index(b"\n")])
    except ValueError:
        return None
    size = HEADER.size + length
    return Record(segment, offset, size, meta["n"], meta["t"], meta["b"], meta["ts"], meta["x"])


def decode_rows(record_bytes: bytes) -> list[dict[str, Any]]:
    """The rows of one whole record (checked against its crc again)."""
    payload = record_bytes[HEADER.size :]
    if zlib.crc32(payload) != HEADER.unpack_from(record_bytes)[2]:
        raise OSError("spool record no longer matches its crc")
    split = payload.index(b"\n")
    meta = json.loads(payload[:split])
    body = json.loads(payload[split + 1 :], object_hook=_decode if meta["tag"] else None)
    if "r" in body:
        return list(body["r"])
    keys, columns = body["k"], body["c"]
    for key in meta["dt"]:
        index = keys.index(key)
        columns[index] = [None if v is None else datetime.fromisoformat(v) for v in columns[index]]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves the old or the new file, whole."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def scan_segment(path: Path, segment: int) -> tuple[list[Record], int]:
    """The whole records of one segment file, and how many bytes after them are torn/corrupt."""
    data = path.read_bytes()
    records: list[Record] = []
    offset = 0
    while offset < len(data):
        record = parse_record(data, offset, segment)
        if record is None:
            break  # a torn write only ever happens at the end; nothing after it is trusted
        records.append(record)
        offset += record.size
    return records, len(data) - offset


Keys = list[tuple[int, int]]


def read_ledger(path: Path) -> tuple[dict[int, set[int]], tuple[Keys, str] | None, int]:
    """(consumed offsets per segment, the last intent, torn lines skipped) from a ledger file."""
    consumed: dict[int, set[int]] = {}
    intent: tuple[Keys, str] | None = None
    torn = 0
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            torn += 1  # a crash mid-append: that entry never took effect
            continue
        keys = [(int(seg), int(off)) for seg, off in entry["recs"]]
        if entry["op"] == "intent":
            intent = (keys, entry["batch_id"])
        else:
            for seg, off in keys:
                consumed.setdefault(seg, set()).add(off)
    return consumed, intent, torn


def ledger_line(op: str, keys: Keys, batch_id: str = "") -> str:
    """One ledger entry: `intent` (with its batch id), or `done`/`drop`/`discard`."""
    return json.dumps({"op": op, "recs": keys, "batch_id": batch_id}) + "\n"


def ledger_text(consumed: dict[int, set[int]], intent: tuple[Keys, str] | None) -> str:
    """A compacted ledger holding only what the remaining segments still need."""
    lines = [ledger_line("done", [(s, o) for o in sorted(offs)]) for s, offs in consumed.items()]
    if intent:
        lines.append(ledger_line("intent", intent[0], intent[1]))
    return "".join(lines)
