"""PostgreSQL: a pooled engine with pre-ping, bounded connect retries, a health probe with a timeout."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from netra_backend.app.config import Settings
from netra_backend.errors import NetraBackendError
from netra_backend.redact import mask_secrets

log = logging.getLogger("netra_backend.database")


class DatabaseUnavailable(NetraBackendError, RuntimeError):
    """PostgreSQL cannot be reached; the message is one line naming host:port and the likely fix."""


@dataclass(frozen=True)
class ProbeResult:
    """One health probe: did it pass, how long it took, and why not."""

    ok: bool
    elapsed_ms: float
    output: str


def likely_fix(error_text: str) -> str:
    """The fix a developer most likely needs for this connection error."""
    lowered = error_text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return "check the user and password in DATABASE_URL"
    if "does not exist" in lowered and "database" in lowered:
        return "create the database (or run `invoke migrate`), or fix the name in DATABASE_URL"
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return "fix the host name in DATABASE_URL"
    if "timeout expired" in lowered or "timed out" in lowered:
        return "the host does not answer: check the address, a firewall, or the container's port mapping"
    return "start PostgreSQL (`invoke dev`) or point DATABASE_URL at a running server"


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    # libpq repeats "connection to server at ... failed:" per address; the reason is what follows.
    for line in lines:
        if "failed:" in line:
            return line.split("failed:", 1)[1].strip() or line
    return lines[0] if lines else type(exc).__name__


class DatabaseManager:
    """The service's PostgreSQL: engine, sessions, startup retries and a probe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = make_url(settings.database_url)
        self.address = f"{url.host or 'localhost'}:{url.port or 5432}"
        connect_args = {"connect_timeout": settings.db_connect_timeout_s}
        self.engine: Engine = create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=5,
            connect_args=connect_args,
        )  # fmt: skip
        # The probe uses its own unpooled connection: a busy pool must not look like an outage.
        self._probe_engine: Engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": 2}
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _message(self, exc: BaseException, attempts: int) -> str:
        reason = _first_line(exc)
        text_ = (
            f"cannot reach PostgreSQL at {self.address} after {attempts} attempt(s) ({reason}): "
            f"{likely_fix(reason)}"
        )
        return mask_secrets(text_, self.settings.secrets())

    def wait_until_connected(self) -> None:
        """Connect with bounded retries and exponential backoff; DatabaseUnavailable at the end."""
        attempts = self.settings.db_connect_retries
        delay = self.settings.db_retry_backoff_s
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except SQLAlchemyError as exc:
                if attempt == attempts:
                    raise DatabaseUnavailable(self._message(exc, attempts)) from None
                log.warning(
                    "PostgreSQL at %s not ready (attempt %d/%d): %s",
                    self.address, attempt, attempts,
                    mask_secrets(_first_line(exc), self.settings.secrets()),
                )  # fmt: skip
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def probe(self) -> ProbeResult:
        """SELECT 1 on a fresh connection; never raises."""
        started = time.perf_counter()
        try:
            with self._probe_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            reason = mask_secrets(_first_line(exc), self.settings.secrets())
            return ProbeResult(False, elapsed, f"{self.address}: {reason}")
        return ProbeResult(True, round((time.perf_counter() - started) * 1000, 3), "")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self._probe_engine.dispose()
