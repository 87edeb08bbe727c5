"""The analytics tables in ClickHouse, created idempotently, and the deduplicated batch insert.

Exactly once: every batch is inserted with `insert_deduplication_token` = its batch id. On a plain
MergeTree table ClickHouse honours that token only when the table sets
`non_replicated_deduplication_window` (the number of recent insert blocks it remembers), so a
batch re-sent after a lost acknowledgement or a crash is stored once, as long as fewer than that
many inserts happened in between. `ensure_schema` also sets the window on an `events` table that
an older version created without it.
Events are spooled as JSONCompactEachRow rows (`event_rows_text`) and inserted as those bytes
(`raw_insert`), timestamps as 'YYYY-MM-DD hh:mm:ss.fff' text in the column's UTC; batches in the
columns layout (other tables, older spools) carry timestamps as DateTime64(3) ticks (milliseconds
since the epoch, UTC), which clickhouse-connect writes as they are.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from netra_backend.app.analytics.spool.records import ROWS_FORMAT

EVENTS_TABLE = "events"
EVENTS_COLUMNS = ("event_id", "event_type", "user_id", "properties", "timestamp")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEDUP_WINDOW = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)


def events_ddl(database: str | None = None) -> str:
    """CREATE TABLE IF NOT EXISTS for `events`, in `database` or the client's default one."""
    table = f"{quote_identifier(database)}.{EVENTS_TABLE}" if database else EVENTS_TABLE
    return f"""\
CREATE TABLE IF NOT EXISTS {table} (event_id String, event_type LowCardinality(String),
  user_id Nullable(String), properties String, timestamp DateTime64(3, 'UTC'))
ENGINE = MergeTree ORDER BY (event_type, timestamp)
SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}"""


EVENTS_DDL = events_ddl()


def quote_identifier(name: str) -> str:
    """`name` for SQL; only plain identifiers are accepted (they come from URLs and code)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


def schema_statements(database: str | None = None) -> list[str]:
    """Idempotent DDL for the whole analytics schema: the database (if named), then the tables."""
    statements = [f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}"] if database else []
    table = f"{quote_identifier(database)}.{EVENTS_TABLE}" if database else EVENTS_TABLE
    # An events table from before the window was set would store a re-sent batch twice.
    window = (
        f"ALTER TABLE {table} MODIFY SETTING non_replicated_deduplication_window = {DEDUP_WINDOW}"
    )
    return [*statements, events_ddl(database), window]


def ensure_schema(client: Any, database: str | None = None) -> None:
    """Create the analytics database and tables if missing (safe to run on every connect)."""
    for ddl in schema_statements(database):
        client.command(ddl)


def _timestamp(value: Any) -> datetime:
    """An aware UTC datetime from a datetime, ISO-8601 string, epoch number, or None (now)."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # the common case, kept cheap: this runs once per row
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, int | float):
        stamp = datetime.fromtimestamp(value, UTC)
    else:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _ticks(value: Any) -> int:
    """DateTime64(3) ticks (ms since the epoch) for anything `_timestamp` accepts (ints pass)."""
    if type(value) is int:
        return value
    return (_timestamp(value) - _EPOCH) // _MS


def _stamp_text(value: Any) -> str:
    """'YYYY-MM-DD hh:mm:ss.fff' (UTC) for anything `_ticks` accepts: what ROWS_FORMAT carries."""
    return (_NAIVE_EPOCH + _ticks(value) * _MS).isoformat(" ", "milliseconds")


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)


def event_columns(
    rows: list[dict[str, Any]], stamp: Callable[[Any], Any] = _ticks
) -> list[list[Any]]:
    """Column-oriented data for `events` from event dicts (properties as JSON text, timestamps
    as ticks or what `stamp` makes of them), in EVENTS_COLUMNS order."""
    dumps = json.dumps
    ids = [_text(row.get("event_id") or uuid.uuid4()) for row in rows]
    types = [_text(row["event_type"]) for row in rows]
    users = [None if (u := row.get("user_id")) is None else _text(u) for row in rows]
    props = [p if type(p := row.get("properties") or {}) is str else dumps(p) for row in rows]
    parsed: dict[str, Any] = {}  # rows of one request often share their ISO timestamp text
    stamps = [
        (parsed.get(t) or parsed.setdefault(t, stamp(t)))
        if type(t := row.get("timestamp")) is str
        else stamp(t)
        for row in rows
    ]
    return [ids, types, users, props, stamps]


def event_rows_text(rows: list[dict[str, Any]]) -> bytes:
    """`rows` (event dicts) as ROWS_FORMAT input for EVENTS_COLUMNS, rows separated by commas:
    what the spool keeps and the shipper sends as it is. Text JSON can carry but UTF-8 cannot
    (lone surrogates) passes through as its bytes, which ClickHouse stores as they are."""
    rows_out = list(zip(*event_columns(rows, _stamp_text), strict=True))
    text = json.dumps(rows_out, ensure_ascii=False, separators=(",", ":"))
    return text[1:-1].encode("utf-8", "surrogatepass")


def insert_events(
    client: Any,
    rows: list[dict[str, Any]],
    batch_id: str | None = None,
    database: str | None = None,
) -> int:
    """Insert event dicts as one block; a repeated `batch_id` is stored once. Returns rows sent."""
    if not rows:
        return 0
    settings = {"insert_deduplication_token": batch_id} if batch_id else None
    client.insert(
        EVENTS_TABLE,
        event_columns(rows),
        column_names=list(EVENTS_COLUMNS),
        column_oriented=True,
        database=database,
        settings=settings,
    )
    return len(rows)


def table_columns(table: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The column names and values a batch of `rows` is kept and inserted as."""
    if table == EVENTS_TABLE:
        return list(EVENTS_COLUMNS), event_columns(rows)
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return keys, [[row.get(key) for row in rows] for key in keys]


def _events_ready(keys: list[str], columns: list[list[Any]]) -> list[list[Any]]:
    """`events` columns in EVENTS_COLUMNS form; batches spooled by older versions converted."""
    if (
        keys == list(EVENTS_COLUMNS)
        and columns
        and (not columns[0] or (type(columns[4][0]) is int and type(columns[3][0]) is str))
    ):
        return columns
    return event_columns(
        [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
    )


def insert_batch(client: Any, batch: Any, database: str | None = None) -> int:
    """Insert a spool `Batch` (table, keys, columns, batch_id) deduplicated by its batch id.

    Use as `spool.ship(functools.partial(insert_batch, client))`. Returns rows sent.
    """
    settings = {"insert_deduplication_token": batch.batch_id}
    if batch.raw is not None:
        if not batch.raw:
            return 0
        table = f"{quote_identifier(database)}.{batch.table}" if database else batch.table
        client.raw_insert(table, list(batch.keys), batch.raw, settings=settings, fmt=ROWS_FORMAT)
        return len(batch)
    keys, columns = list(batch.keys), batch.columns
    if batch.table == EVENTS_TABLE:
        keys, columns = list(EVENTS_COLUMNS), _events_ready(keys, columns)
    if not columns or not columns[0]:
        return 0
    client.insert(
        batch.table,
        columns,
        column_names=keys,
        column_oriented=True,
        database=database,
        settings=settings,
    )
    return len(columns[0])
