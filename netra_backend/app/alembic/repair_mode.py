"""Repair mode: a replay of applied revisions that puts back what is missing and takes nothing away.

`invoke migrate --repair` replays each applied revision's upgrade() inside `repair_mode()`. The
creating helpers of idempotent.py behave as always (they create only what is missing) and note
what they created here; the dropping helpers ask `drop_allowed` first, so a revision whose upgrade
drops something can only drop what this same replay created, never an object (or data) the
database already had.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

log = logging.getLogger("netra.migrations")

# Inside repair_mode(): what this replay created ("table public.userbase", ...); else None.
_created_by_repair: ContextVar[set[str] | None] = ContextVar(
    "netra_created_by_repair", default=None
)


@contextlib.contextmanager
def repair_mode() -> Iterator[None]:
    """Within this block the dropping helpers drop only objects the block itself created."""
    token = _created_by_repair.set(set())
    try:
        yield
    finally:
        _created_by_repair.reset(token)


def note_created(key: str) -> None:
    """Remember that this replay created `key` (outside repair mode: nothing to remember)."""
    created = _created_by_repair.get()
    if created is not None:
        created.add(key)


def drop_allowed(what: str, *keys: str) -> bool:
    """Outside repair mode always; inside, only when this replay created one of `keys`."""
    created = _created_by_repair.get()
    if created is None or created.intersection(keys):
        return True
    log.info("skip %s: a repair drops only what it created itself", what)
    return False
