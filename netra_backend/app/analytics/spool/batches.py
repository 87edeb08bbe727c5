"""What the shipper sends: which pending records go together, under which token, as one Batch.

A group is the oldest pending records of one table and one body layout (records in the `rows`
layout with the same columns travel as their bytes, joined; the others as columns), up to a row
limit; its deduplication token is the record's own batch id (one record) or a hash of the records'
ids, so the same group always gets the same token. A record spooled by a format-1 backend under a
direct insert's id goes alone with that id, since ClickHouse may have stored it under it already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from netra_backend.app.analytics.spool.records import Record, parse_rows


@dataclass
class Batch:
    """Rows of one or more records sent under one deduplication token: as columns, or as
    ROWS_FORMAT bytes (`raw`, `raw_rows` rows) that go to ClickHouse as they are."""

    table: str
    keys: list[str]
    columns: list[list[Any]]
    batch_id: str
    raw: bytes | None = None
    raw_rows: int = 0

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts (for tests and tools; inserts use the columns or the bytes)."""
        if self.raw is not None:
            return [dict(zip(self.keys, row, strict=True)) for row in parse_rows(self.raw)]
        return [
            dict(zip(self.keys, values, strict=True)) for values in zip(*self.columns, strict=True)
        ]

    def __len__(self) -> int:
        if self.raw is not None:
            return self.raw_rows
        return len(self.columns[0]) if self.columns else 0


def next_group(pending: Iterable[Record], max_rows: int) -> tuple[list[Record], str] | None:
    """The oldest records to send together and their token (None when nothing is pending)."""
    group: list[Record] = []
    rows = 0
    for record in pending:
        if group and (
            record.external or group[0].external or record.table != group[0].table
            or record.columns != group[0].columns or rows + record.rows > max_rows
        ):  # fmt: skip
            break
        group.append(record)
        rows += record.rows
    if not group:
        return None
    if len(group) == 1:
        return group, group[0].batch_id
    ids = "|".join(r.batch_id for r in group).encode()
    return group, f"g-{hashlib.sha256(ids).hexdigest()[:32]}"


def join_rows(table: str, keys: list[str], bodies: list[bytes], rows: int, batch_id: str) -> Batch:
    """One batch from the ROWS_FORMAT bodies of several `rows` records (one row list)."""
    return Batch(table, keys, [], batch_id, raw=b",".join(body for body in bodies if body),
                 raw_rows=rows)  # fmt: skip


def join(table: str, parts: list[tuple[list[str], list[list[Any]]]], batch_id: str) -> Batch:
    """One batch from the columns of several records (a name one of them lacks is None there)."""
    keys = list(dict.fromkeys(key for part_keys, _ in parts for key in part_keys))
    merged: list[list[Any]] = [[] for _ in keys]
    for part_keys, columns in parts:
        count = len(columns[0]) if columns else 0
        index = {key: i for i, key in enumerate(part_keys)}
        for position, key in enumerate(keys):
            merged[position] += columns[index[key]] if key in index else [None] * count
    return Batch(table, keys, merged, batch_id)
