"""What env.py runs around the revisions: connect, fast path at head, advisory lock, clear errors."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator

import sqlalchemy as sa
from alembic.util import CommandError

from netra_backend.errors import NetraBackendError
from netra_backend.redact import mask_url

log = logging.getLogger("netra.migrations")

# pg_advisory_lock(int4, int4): a fixed pair shows up in pg_locks as classid/objid (objsubid 2).
LOCK_KEY = (0x6E657472, 0x616D6967)  # "netr", "amig"
LOCK_APPLICATION_NAME = "netra-migrate"
DEFAULT_LOCK_TIMEOUT_S = 120.0
LOCK_TIMEOUT_ENV = "NETRA_MIGRATION_LOCK_TIMEOUT"
POLL_INTERVAL_S = 0.1
CONNECT_TIMEOUT_S = 10


class MigrationError(NetraBackendError, CommandError):
    """A migration could not run; alembic's CLI prints the one-line message as `FAILED: ...`."""


class DatabaseUnreachable(MigrationError):
    """The database refused or never answered (wrong host, port, password or database)."""


class MigrationLockTimeout(MigrationError):
    """Another migration held the advisory lock past the bounded wait."""


def make_engine(url: str) -> sa.Engine:
    """An engine without pooling: each connection here has one job and is closed after it."""
    return sa.create_engine(
        url,
        poolclass=sa.NullPool,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": LOCK_APPLICATION_NAME,
        },
    )


def lock_timeout(raw: str | None = None) -> float:
    """Seconds to wait for the migration lock: `raw`, else NETRA_MIGRATION_LOCK_TIMEOUT, else 120."""
    raw = raw or os.environ.get(LOCK_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        return float(raw)
    except ValueError:
        raise MigrationError(f"lock timeout is not a number of seconds: {raw!r}") from None


def reason(exc: BaseException) -> str:
    """The driver's own words, reduced to one line (libpq spreads them over several)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("(Background", "DETAIL"))]
    text = " | ".join(useful) or type(orig).__name__
    return text.replace("FATAL:  ", "").replace("FATAL: ", "")


def connect(engine: sa.Engine) -> sa.Connection:
    """Open a connection, turning driver errors into one masked line."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        raise DatabaseUnreachable(
            f"cannot connect to {mask_url(engine.url.render_as_string(hide_password=False))}: "
            f"{reason(exc)}"
        ) from exc


def current_heads(connection: sa.Connection, version_table: str = "alembic_version") -> set[str]:
    """The revisions recorded in the database ({} when alembic_version does not exist)."""
    exists = connection.execute(sa.select(sa.func.to_regclass(version_table))).scalar()
    if exists is None:
        return set()
    rows = connection.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalars()
    return {str(row) for row in rows}


def _holder(connection: sa.Connection) -> str:
    """Who holds the migration lock, and since when (its connection exists only to hold it)."""
    row = connection.execute(
        sa.text(
            "SELECT l.pid, a.application_name, a.client_addr,"
            " extract(epoch FROM now() - a.backend_start) AS held_s"
            " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :k1"
            " AND l.objid = :k2 AND l.objsubid = 2 AND l.database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"k1": LOCK_KEY[0], "k2": LOCK_KEY[1]},
    ).first()
    if row is None:
        return "held by a session that has since let go"
    pid, app, client, held = row
    return (
        f"held by pid {pid} ({app or 'unknown application'}, client {client or 'local'})"
        f" for {float(held or 0):.0f}s"
    )


@contextlib.contextmanager
def advisory_lock(connection: sa.Connection, timeout_s: float) -> Iterator[None]:
    """Hold the session-level migration lock on `connection`, waiting at most `timeout_s`.

    Session-level (not transaction-level) so it spans every per-revision transaction, and on a
    connection of its own so no migration commit or rollback can release it early. If the
    process dies, PostgreSQL ends the session and the lock goes with it.
    """
    deadline = time.monotonic() + timeout_s
    waited = False
    while not connection.execute(
        sa.text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": LOCK_KEY[0], "k2": LOCK_KEY[1]}
    ).scalar():
        if not waited:
            log.info("another migration holds the lock; waiting up to %.0fs", timeout_s)
            waited = True
        if time.monotonic() >= deadline:
            raise MigrationLockTimeout(
                f"timed out after {timeout_s:.0f}s waiting for the migration lock: "
                f"{_holder(connection)}"
            )
        time.sleep(POLL_INTERVAL_S)
    try:
        yield
    finally:
        with contextlib.suppress(sa.exc.DBAPIError):
            connection.execute(
                sa.text("SELECT pg_advisory_unlock(:k1, :k2)"),
                {"k1": LOCK_KEY[0], "k2": LOCK_KEY[1]},
            )
