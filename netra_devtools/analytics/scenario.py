"""One check-clickhouse scenario's moving parts: its backend processes, the events it sends, the
rows it finds in ClickHouse, and the row it reports (used by check.py)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from netra_backend.redact import mask_secrets
from netra_devtools.errors import NetraDevtoolsError

BACKEND_ENV = {"HEALTH_INTERVAL_S": "0.3", "CLICKHOUSE_RETRY_MAX_S": "1"}
WAIT_S = 60.0


class CheckError(NetraDevtoolsError, RuntimeError):
    """A scenario could not run (a service did not start); the message says which and why."""


@dataclass
class ScenarioResult:
    """One row of the report."""

    scenario: str
    startup_to_ready_s: float
    health: str
    sent: int
    stored: int
    spooled: int
    dropped: int
    note: str = ""
    refused: int = 0  # answered 503 (not acknowledged, so never lost): the spool was full

    @property
    def lost(self) -> int:
        """Events acknowledged (202) that never reached ClickHouse."""
        return self.sent - self.stored

    def to_json(self) -> dict[str, Any]:
        """The row with `lost` included."""
        return {**asdict(self), "lost": self.lost}


@dataclass
class Services:
    """What every scenario shares: PostgreSQL, ClickHouse, a work directory, the limits."""

    database_url: str
    clickhouse_url: str  # an http URL the backend and this process reach
    work: Path
    events: int
    spool_max_rows: int | None = None


def wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `predicate` until it returns something truthy (returned); CheckError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, OSError):
            if value := predicate():
                return value
        time.sleep(0.1)
    raise CheckError(f"timed out after {timeout:.0f} s waiting for {what}")


def count_stored(clickhouse_url: str, event_type: str) -> int:
    """Distinct events of `event_type` in ClickHouse (a duplicate would not add to it)."""
    from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig
    from netra_backend.app.config import load_settings

    settings = load_settings(clickhouse_url=clickhouse_url)
    config = ClickHouseConfig.from_settings(settings)
    assert config is not None
    try:
        client = config.build_client()
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckError(
            f"ClickHouse at {config.address}: {mask_secrets(first, settings.secrets())}"
        ) from None
    try:
        rows = client.query(
            f"SELECT count(), uniqExact(event_id) FROM {config.qualified('events')} "
            "WHERE event_type = {t:String}",
            parameters={"t": event_type},
        ).result_rows
    except Exception:  # no table yet: nothing stored
        return 0
    finally:
        client.close()
    count, distinct = int(rows[0][0]), int(rows[0][1])
    if count != distinct:
        raise CheckError(f"{event_type}: {count} rows but only {distinct} distinct events")
    return distinct


class Run:
    """One scenario's backend processes, events and measurements."""

    def __init__(self, services: Services, scenario: str) -> None:
        self.services, self.scenario = services, scenario
        self.tag = f"check-{scenario}-{uuid.uuid4().hex[:8]}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"{scenario}-", dir=services.work))
        self.backends: list[Any] = []
        self.sent = 0
        self.refused = 0

    def start(self, clickhouse_url: str | None) -> float:
        """Start a backend on this scenario's spool; seconds from process start to ready."""
        from netra_devtools.services.backend import start_backend

        env = {
            "DATABASE_URL": self.services.database_url,
            "CLICKHOUSE_SPOOL_DIR": str(self.dir / "spool"),
            "NETRA_REPLICA_ID": "check",
            **BACKEND_ENV,
        }
        if clickhouse_url:
            env["CLICKHOUSE_URL"] = clickhouse_url
        if self.services.spool_max_rows:
            env["CLICKHOUSE_SPOOL_MAX_ROWS"] = str(self.services.spool_max_rows)
        backend = start_backend(env, log_dir=self.dir)
        self.backends.append(backend)
        try:
            return round(float(backend.wait_for("/health/ready", 200, timeout=WAIT_S)), 3)
        except Exception as exc:
            raise CheckError(f"{self.scenario}: backend not ready: {exc}") from None

    @property
    def url(self) -> str:
        """The latest backend's base URL."""
        return str(self.backends[-1].base_url)

    def post(self, batch: int = 100) -> None:
        """POST the scenario's events in lists of `batch`; each answer must be 202, or 503 when
        the spool is full (counted as refused: the client was told, nothing was promised)."""
        with httpx.Client(base_url=self.url, timeout=10, trust_env=False) as http:
            for start in range(0, self.services.events, batch):
                size = min(batch, self.services.events - start)
                events = [
                    {"event_type": self.tag, "properties": {"i": start + i}} for i in range(size)
                ]
                answer = http.post("/api/events", json=events)
                if answer.status_code == 503 and "spool full" in answer.text:
                    self.refused += size
                    continue
                if answer.status_code != 202:
                    raise CheckError(
                        f"{self.scenario}: POST /api/events answered {answer.status_code}"
                    )
                self.sent += size

    def health(self) -> tuple[str, dict[str, Any]]:
        """Overall /health status and the clickhouse:spool check."""
        body = httpx.get(f"{self.url}/health", timeout=5, trust_env=False).json()
        return str(body["status"]), dict(body["checks"]["clickhouse:spool"][0])

    def wait_spooled(self) -> tuple[str, dict[str, Any]]:
        """Wait until the backend noticed ClickHouse is away (health `warn`) and every sent event
        is waiting in the spool or counted as dropped."""

        def settled() -> tuple[str, dict[str, Any]] | None:
            status, spool = self.health()
            waiting = spool["observedValue"] + spool["droppedRows"] >= self.sent
            return (status, spool) if waiting and status != "pass" else None

        result: tuple[str, dict[str, Any]] = wait(settled, WAIT_S, f"{self.scenario}: rows spooled")
        return result

    def wait_stored(self, expected: int) -> int:
        """Wait until `expected` events are stored (or time out); the count."""
        url = self.services.clickhouse_url
        with contextlib.suppress(CheckError):
            wait(lambda: count_stored(url, self.tag) >= expected, WAIT_S, "rows stored")
        time.sleep(0.3)  # a duplicate arriving late must show in the count
        return count_stored(url, self.tag)

    def close(self) -> None:
        """Stop every backend this scenario started and remove its directory."""
        for backend in self.backends:
            backend.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
