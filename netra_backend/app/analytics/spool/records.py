"""The spool's on-disk records: framed and checksummed, and a scan that resynchronises after damage.

A record (format 2) is a 20-byte header `NSP2 | rows | payload length | crc32(payload) |
crc32(the 16 header bytes before it)` and its payload: one JSON line of metadata (`t` table, `b`
batch id, `ts` time, `n` rows, `x` caller's batch id, `tag` datetimes tagged, `f` body layout,
`k` column names for the `rows` layout) and the batch. The body is either JSON columns (`k` names,
`c` values: any table, any values) or, for the `rows` layout, the rows already as ClickHouse's
JSONCompactEachRow input (`[v1,v2],[v1,v2]`, UTF-8 with lone surrogates passed through): the
shipper sends those bytes as they are, so a row costs the backend no decoding or encoding on its
way to ClickHouse. The header's own checksum means a record whose payload is damaged
still tells its size and rows, so the reader skips exactly that record; a damaged header sends the
reader looking for the next valid header (the magic is the sync marker), so one bad spot never
hides the records after it. Format 1 (`NSP1 | length | crc32(payload)`, rows as the payload says;
written before format 2) is still read, so spools left by an older backend are replayed.
The file operations that differ by platform (directory fsync, locking) come from `_posix` or
`_windows`, chosen once at import.
"""

from __future__ import annotations

import json
import struct
import sys
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_backend.app.analytics.spool import _windows as os_files
else:
    from netra_backend.app.analytics.spool import _posix as os_files

fsync_dir = os_files.fsync_dir
lock_exclusively = os_files.lock_exclusively

HEADER = struct.Struct("<4sIIII")  # magic, rows, payload length, crc32(payload), crc32(header)
MAGIC = b"NSP2"
LEGACY_HEADER = struct.Struct("<4sII")  # format 1: magic, payload length, crc32(payload)
LEGACY_MAGIC = b"NSP1"
_SYNC = b"NSP"  # what both magics start with: where a resynchronising reader looks
MAX_PAYLOAD = 1 << 30  # a length past this is damage, not a record
ROWS = "rows"  # the body layout whose bytes are ClickHouse input (ROWS_FORMAT) as they are
ROWS_FORMAT = "JSONCompactEachRow"


@dataclass
class Record:
    """Where one batch lives in a segment and what it holds (its rows stay on disk)."""

    segment: int
    offset: int
    size: int
    rows: int
    table: str
    batch_id: str
    created: float
    external: bool  # format 1: a direct insert's batch id, maybe already tried: never merged
    columns: tuple[str, ...] | None = None  # the `rows` layout's column names (else None)

    @property
    def key(self) -> tuple[int, int]:
        """(segment, offset): the record's identity in the ledger."""
        return (self.segment, self.offset)


@dataclass
class Region:
    """Bytes of a segment that hold no intact record: `rows` when a valid header says so."""

    offset: int
    size: int
    rows: int | None


@dataclass
class SegmentScan:
    """Everything a scan of one segment found, in file order."""

    records: list[Record]
    regions: list[Region]
    length: int


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


def rows_to_columns(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Column names (every key any row has, in first-seen order) and their values (None if absent)."""
    keys = list(rows[0]) if rows else []
    if any(row.keys() != rows[0].keys() for row in rows):
        keys = list(dict.fromkeys(key for row in rows for key in row))
    return keys, [[row.get(key) for row in rows] for key in keys]


def encode_record(
    table: str, keys: list[str], columns: list[list[Any]], batch_id: str | None = None
) -> bytes:
    """A framed format-2 record for a batch given as columns (a batch id is generated if none)."""
    rows = len(columns[0]) if columns else 0
    tagged = False

    def default(value: Any) -> Any:
        nonlocal tagged
        tagged = tagged or isinstance(value, date)  # datetime is a date too
        return _encode(value)

    body = json.dumps({"k": keys, "c": columns}, default=default, separators=(",", ":"))
    meta = {"t": table, "b": batch_id or uuid.uuid4().hex, "ts": time.time(), "n": rows}
    meta.update(x=False, tag=tagged)  # only tagged bodies need the (slower) object hook
    return _frame(meta, body.encode(), rows)


def encode_rows_record(
    table: str, keys: list[str], rows_text: bytes, rows: int, batch_id: str | None = None
) -> bytes:
    """A framed record in the `rows` layout: `rows_text` is ROWS_FORMAT input for `keys`, rows
    separated by commas (what `json.dumps(list_of_rows)[1:-1]` gives), shipped as it is."""
    meta = {"t": table, "b": batch_id or uuid.uuid4().hex, "ts": time.time(), "n": rows}
    meta.update(x=False, tag=False, f=ROWS, k=keys)
    return _frame(meta, rows_text, rows)


def _frame(meta: dict[str, Any], body: bytes, rows: int) -> bytes:
    payload = json.dumps(meta, separators=(",", ":")).encode() + b"\n" + body
    head = struct.pack("<4sIII", MAGIC, rows, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


Header = tuple[int, int, int | None, int]  # header size, payload length, rows or None, crc


def header_at(data: bytes, offset: int) -> Header | None:
    """The header at `offset` if it is plausible (format 2: its own checksum holds), else None."""
    magic = data[offset : offset + 4]
    if magic == MAGIC and len(data) - offset >= HEADER.size:
        _, rows, length, crc, head_crc = HEADER.unpack_from(data, offset)
        if zlib.crc32(data[offset : offset + 16]) == head_crc and length <= MAX_PAYLOAD:
            return HEADER.size, length, rows, crc
    elif magic == LEGACY_MAGIC and len(data) - offset >= LEGACY_HEADER.size:
        _, length, crc = LEGACY_HEADER.unpack_from(data, offset)
        if length <= MAX_PAYLOAD:
            return LEGACY_HEADER.size, length, None, crc  # format 1: rows are in the payload
    return None


def parse_record(data: bytes, offset: int, segment: int) -> Record | None:
    """The intact record at `offset`, or None (short, bad header, bad payload checksum)."""
    header = header_at(data, offset)
    if header is None:
        return None
    head, length, _rows, crc = header
    payload = data[offset + head : offset + head + length]
    if len(payload) != length or zlib.crc32(payload) != crc:
        return None
    try:
        meta = json.loads(payload[: payload.index(b"\n")])
        columns = tuple(str(k) for k in meta["k"]) if meta.get("f") == ROWS else None
        return Record(segment, offset, head + length, int(meta["n"]), str(meta["t"]),
                      str(meta["b"]), float(meta["ts"]), bool(meta.get("x")), columns)  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def _next_record(data: bytes, start: int, segment: int) -> Record | None:
    """The first intact record that starts after `start` (the resynchronising search)."""
    position = data.find(_SYNC, start + 1)
    while position != -1:
        record = parse_record(data, position, segment)
        if record is not None:
            return record
        position = data.find(_SYNC, position + 1)
    return None


def scan_segment(data: bytes, segment: int) -> SegmentScan:
    """The intact records of a segment's bytes and the damaged regions between and after them."""
    records: list[Record] = []
    regions: list[Region] = []
    offset = 0
    while offset < len(data):
        record = parse_record(data, offset, segment)
        if record is not None:
            records.append(record)
            offset += record.size
            continue
        header = header_at(data, offset)
        trusted = header is not None and header[0] == HEADER.size  # its own checksum held
        end = offset + header[0] + header[1] if header else len(data)
        if not (trusted and end <= len(data)):  # the size is unknown: find the next record
            following = _next_record(data, offset, segment)
            end = following.offset if following else len(data)
        regions.append(Region(offset, end - offset, header[2] if trusted and header else None))
        offset = end
    return SegmentScan(records, regions, len(data))


def _verified(record_bytes: bytes) -> tuple[int, dict[str, Any], bytes]:
    """(header size, metadata, body) of one whole record, its checksums verified again."""
    header = header_at(record_bytes, 0)
    if header is None:
        raise ValueError("spool record header no longer matches its checksum")
    head, length, _rows, crc = header
    payload = record_bytes[head:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        raise ValueError("spool record no longer matches its checksum")
    split = payload.index(b"\n")
    return head, json.loads(payload[:split]), payload[split + 1 :]


def parse_rows(rows_text: bytes) -> list[list[Any]]:
    """The values of ROWS_FORMAT text as the `rows` layout keeps it (rows separated by commas)."""
    return json.loads("[" + rows_text.decode("utf-8", "surrogatepass") + "]") if rows_text else []


def rows_body(record_bytes: bytes) -> bytes:
    """The ROWS_FORMAT bytes of a `rows` record (its checksum verified again)."""
    _head, meta, body = _verified(record_bytes)
    if meta.get("f") != ROWS:
        raise ValueError("spool record is not in the rows layout")
    return body


def decode_columns(record_bytes: bytes) -> tuple[list[str], list[list[Any]]]:
    """The column names and values of one whole record (its checksum verified again)."""
    head, meta, raw = _verified(record_bytes)
    if meta.get("f") == ROWS:
        keys = list(meta["k"])
        rows = parse_rows(raw)
        if not rows:
            return keys, [[] for _ in keys]
        return keys, [list(column) for column in zip(*rows, strict=True)]
    text = raw.decode()  # json.loads of str skips its encoding detection
    body = json.loads(text, object_hook=_decode if meta["tag"] else None)
    if head == LEGACY_HEADER.size:
        return rows_to_columns(_legacy_rows(meta, body))
    return list(body["k"]), list(body["c"])


def _legacy_rows(meta: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """Format 1's rows: a list of objects, or columns whose `dt` names hold ISO datetimes."""
    if "r" in body:
        return list(body["r"])
    keys, columns = body["k"], body["c"]
    for key in meta.get("dt", []):
        index = keys.index(key)
        columns[index] = [None if v is None else datetime.fromisoformat(v) for v in columns[index]]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
