"""ClickHouse degradation scenarios against a real backend process (`invoke check-clickhouse`).

Each scenario starts `python -m netra_backend` (netra_backend/process.py) on real PostgreSQL with
CLICKHOUSE_URL pointing at: nothing (`unset`), the engine (`healthy`), a fault socket (`refused`,
`silent`, `http_500`, `reset`), or the engine behind a loopback switch that is cut while events
arrive and restored (`outage`), or the engine while the backend is SIGKILLed with rows spooled
and started again (`crash`). It POSTs events, reads /health, and after a fault scenario drains
the backend's spool into the engine (what happens when ClickHouse comes back), then counts the
rows stored under the scenario's own event_type. lost = sent - stored; any loss fails the check.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from netra_devtools.redact import mask_secrets
from netra_devtools.services.switch import LoopbackSwitch

SCENARIOS = ("unset", "healthy", "refused", "silent", "http_500", "reset", "outage", "crash")
FAULT_SCENARIOS = ("refused", "silent", "http_500", "reset")
BACKEND_ENV = {"HEALTH_INTERVAL_S": "0.3", "CLICKHOUSE_RETRY_MAX_S": "1"}
WAIT_S = 60.0


class CheckError(RuntimeError):
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

    @property
    def lost(self) -> int:
        """Events accepted (202) that never reached ClickHouse."""
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


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, OSError):
            if value := predicate():
                return value
        time.sleep(0.1)
    raise CheckError(f"timed out after {timeout:.0f} s waiting for {what}")


def count_stored(clickhouse_url: str, event_type: str) -> int:
    """Distinct events of `event_type` in ClickHouse (a duplicate would not add to it)."""
    from netra_backend.app.config import load_settings
    from netra_backend.app.db.clickhouse_base import ClickHouseConfig

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

    def start(self, clickhouse_url: str | None) -> float:
        """Start a backend on this scenario's spool; seconds from process start to ready."""
        from netra_backend.process import start_backend

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
        return str(self.backends[-1].base_url)

    def post(self, batch: int = 100) -> None:
        """POST the scenario's events in lists of `batch`; each answer must be 202."""
        with httpx.Client(base_url=self.url, timeout=10, trust_env=False) as http:
            for start in range(0, self.services.events, batch):
                size = min(batch, self.services.events - start)
                events = [
                    {"event_type": self.tag, "properties": {"i": start + i}} for i in range(size)
                ]
                answer = http.post("/api/events", json=events)
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
        """Wait until every sent event is in the spool or counted as dropped."""

        def settled() -> tuple[str, dict[str, Any]] | None:
            status, spool = self.health()
            return (
                (status, spool)
                if spool["observedValue"] + spool["droppedRows"] >= self.sent
                else None
            )

        result: tuple[str, dict[str, Any]] = _wait(
            settled, WAIT_S, f"{self.scenario}: rows spooled"
        )
        return result

    def wait_stored(self, expected: int) -> int:
        """Wait until `expected` events are stored (or time out); the count."""
        url = self.services.clickhouse_url
        with contextlib.suppress(CheckError):
            _wait(lambda: count_stored(url, self.tag) >= expected, WAIT_S, "rows stored")
        time.sleep(0.3)  # a duplicate arriving late must show in the count
        return count_stored(url, self.tag)

    def close(self) -> None:
        for backend in self.backends:
            backend.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_scenario(services: Services, scenario: str) -> ScenarioResult:
    """Run one scenario from SCENARIOS; its row."""
    from netra_devtools import spool_admin
    from netra_devtools.services import faults

    run = Run(services, scenario)
    try:
        if scenario == "unset":
            ready = run.start(None)
            status, spool = run.health()
            return ScenarioResult(
                scenario, ready, status, 0, 0, 0, 0, "baseline: analytics disabled"
            )
        if scenario in FAULT_SCENARIOS:
            fault = {"refused": faults.refusing, "silent": faults.silent,
                     "http_500": faults.http_500, "reset": faults.reset_mid_response}[scenario]  # fmt: skip
            with fault() as (host, port):
                ready = run.start(f"http://default:@{host}:{port}/default")
                run.post()
                status, spool = run.wait_spooled()
                run.backends[-1].stop()  # graceful: the spool stays on disk
            spool_admin.act(run.dir / "spool", "drain", clickhouse_url=services.clickhouse_url)
            note = "spool drained into ClickHouse after the backend stopped"
            stored = run.wait_stored(run.sent - spool["droppedRows"])
        elif scenario == "healthy":
            ready = run.start(services.clickhouse_url)
            run.post()
            stored = run.wait_stored(run.sent)
            status, spool = run.health()
            note = "direct inserts"
        elif scenario == "outage":
            with _switched(services.clickhouse_url) as (switch, url):
                ready = run.start(url)
                _wait(lambda: run.health()[0] == "pass", WAIT_S, "ClickHouse connected")
                switch.down()
                run.post()
                status, spool = run.wait_spooled()
                switch.up()
                stored = run.wait_stored(run.sent - spool["droppedRows"])
            note = "cut and restored while events arrived; replayed by the backend"
        elif scenario == "crash":
            with _switched(services.clickhouse_url) as (switch, url):
                switch.down()
                ready = run.start(url)
                run.post()
                status, spool = run.wait_spooled()
                run.backends[-1].proc.kill()  # SIGKILL with rows spooled
                run.backends[-1].proc.wait(15)
                switch.up()
                run.start(url)
                stored = run.wait_stored(run.sent - spool["droppedRows"])
            note = "backend SIGKILLed with rows spooled; the restarted backend replayed them"
        else:
            raise ValueError(f"unknown scenario {scenario!r}")
        return ScenarioResult(scenario, ready, status, run.sent, stored,
                              int(spool["observedValue"]), int(spool["droppedRows"]), note)  # fmt: skip
    finally:
        run.close()


@contextlib.contextmanager
def _switched(clickhouse_url: str) -> Iterator[tuple[LoopbackSwitch, str]]:
    """ClickHouse behind a loopback switch; yields (switch, URL through the switch)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(clickhouse_url)
    switch = LoopbackSwitch(parts.hostname or "127.0.0.1", parts.port or 8123)
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    try:
        yield (
            switch,
            urlunsplit((parts.scheme, f"{netloc}127.0.0.1:{switch.port}", parts.path, "", "")),
        )
    finally:
        switch.close()


def validate_url(url: str, name: str) -> str:
    """`url` checked like the backend checks it; ValueError with one masked line if malformed."""
    from netra_backend.app.config import SettingsError, load_settings

    key = "clickhouse_url" if name == "--url" else "database_url"
    try:
        settings = load_settings(**{key: url})
    except SettingsError as exc:
        raise ValueError(f"{name}: {str(exc).split(': ', 1)[-1]}") from None
    checked = settings.clickhouse_url if name == "--url" else settings.database_url
    if name == "--url" and not url.startswith(("http://", "https://")):
        raise ValueError("--url: a ClickHouse server's http(s):// URL is needed here")
    return str(checked)


def check(
    scenarios: list[str],
    events: int,
    clickhouse_url: str | None = None,
    database_url: str | None = None,
    spool_max_rows: int | None = None,
) -> tuple[list[ScenarioResult], str]:
    """Start the shared services (throwaway unless given), run `scenarios`; (rows, ClickHouse URL)."""
    clickhouse_url = validate_url(clickhouse_url, "--url") if clickhouse_url else None
    database_url = validate_url(database_url, "--database-url") if database_url else None
    work = Path(tempfile.mkdtemp(prefix="netra-check-clickhouse-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        if database_url is None:
            from netra_devtools.services import postgres

            try:
                cluster = postgres.start_throwaway()
            except (postgres.PostgresUnavailable, postgres.PostgresStartError) as exc:
                raise CheckError(f"PostgreSQL: {exc} (or pass --database-url)") from None
            stack.callback(cluster.destroy)
            database_url = cluster.url("postgres")
        if clickhouse_url is None:
            from netra_devtools.services import clickhouse

            try:
                engine = clickhouse.start_embedded(work / "clickhouse")
            except (clickhouse.ClickHouseUnavailable, clickhouse.ClickHouseStartError) as exc:
                raise CheckError(f"embedded ClickHouse: {exc} (or pass --url)") from None
            stack.callback(engine.destroy)
            clickhouse_url = engine.url
        services = Services(database_url, clickhouse_url, work, events, spool_max_rows)
        return [run_scenario(services, name) for name in scenarios], clickhouse_url
    raise AssertionError("unreachable")
