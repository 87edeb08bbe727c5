"""ClickHouse degradation scenarios against a real backend process (`invoke check-clickhouse`).

Each scenario starts `python -m netra_backend` (netra_devtools/services/backend.py) on real PostgreSQL with
CLICKHOUSE_URL pointing at: nothing (`unset`), the engine (`healthy`), a fault socket (`refused`,
`silent`, `http_500`, `reset`), or the engine behind a loopback switch that is cut while events
arrive and restored (`outage`), or the engine while the backend is SIGKILLed with rows spooled
and started again (`crash`). It POSTs events, reads /health, and after a fault scenario drains
the backend's spool into the engine (what happens when ClickHouse comes back), then counts the
rows stored under the scenario's own event_type. sent counts the events answered 202, refused those
answered 503 (a full spool: the client was told); lost = sent - stored, and any loss fails the check.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from netra_devtools.analytics.scenario import (
    WAIT_S,
    CheckError,
    Run,
    ScenarioResult,
    Services,
    wait,
)
from netra_devtools.errors import BadInput
from netra_devtools.services.switch import LoopbackSwitch

__all__ = ["SCENARIOS", "CheckError", "ScenarioResult", "check", "run_scenario", "validate_url"]
SCENARIOS = ("unset", "healthy", "refused", "silent", "http_500", "reset", "outage", "crash")
FAULT_SCENARIOS = ("refused", "silent", "http_500", "reset")


def run_scenario(services: Services, scenario: str) -> ScenarioResult:
    """Run one scenario from SCENARIOS; its row."""
    from netra_devtools.analytics import spool_admin
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
                wait(lambda: run.health()[0] == "pass", WAIT_S, "ClickHouse connected")
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
            raise BadInput(f"unknown scenario {scenario!r}")
        return ScenarioResult(scenario, ready, status, run.sent, stored,
                              int(spool["observedValue"]), int(spool["droppedRows"]), note,
                              run.refused)  # fmt: skip
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
    """`url` checked like the backend checks it; BadInput with one masked line if malformed."""
    from netra_backend.app.config import SettingsError, load_settings

    key = "clickhouse_url" if name == "--url" else "database_url"
    try:
        settings = load_settings(**{key: url})
    except SettingsError as exc:
        raise BadInput(f"{name}: {str(exc).split(': ', 1)[-1]}") from None
    checked = settings.clickhouse_url if name == "--url" else settings.database_url
    if name == "--url" and not url.startswith(("http://", "https://")):
        raise BadInput("--url: a ClickHouse server's http(s):// URL is needed here")
    return str(checked)


def check(
    scenarios: list[str],
    events: int,
    clickhouse_url: str | None = None,
    database_url: str | None = None,
    spool_max_rows: int | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> tuple[list[ScenarioResult], str]:
    """Start the shared services (throwaway unless given), run `scenarios`; (rows, ClickHouse URL).
    `progress(step)` is told what starts next: "services", then each scenario's name."""
    clickhouse_url = validate_url(clickhouse_url, "--url") if clickhouse_url else None
    database_url = validate_url(database_url, "--database-url") if database_url else None
    work = Path(tempfile.mkdtemp(prefix="netra-check-clickhouse-"))
    progress("services")
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
        results = []
        for name in scenarios:
            progress(name)
            results.append(run_scenario(services, name))
        return results, clickhouse_url
    raise AssertionError("unreachable")
