"""Issue 5 end to end: real backend processes, POST /api/events, the embedded ClickHouse engine
behind a real socket that goes down and comes back, the disk spool in between."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netra_backend.app.analytics.spool.disk import read_status
from netra_devtools.services import faults
from netra_devtools.services.backend import BackendProcess, start_backend
from tests.integration.test_clickhouse_service import connect
from tests.integration.test_spool_replay import AckDroppingProxy

FAST = {  # monitor and reconnects fast enough for a test, same code paths as production
    "HEALTH_INTERVAL_S": "0.2",
    "CLICKHOUSE_RETRY_MAX_S": "0.5",
    "CLICKHOUSE_CONNECT_TIMEOUT": "2",
}


@pytest.fixture
def backend_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., BackendProcess]]:
    started: list[BackendProcess] = []

    def start(**env: str) -> BackendProcess:
        backend = start_backend(
            {
                "DATABASE_URL": database_url,
                "CLICKHOUSE_SPOOL_DIR": str(tmp_path / "spool"),
                "NETRA_REPLICA_ID": "r1",
                **FAST,
                **env,
            },
            log_dir=tmp_path,
        )
        started.append(backend)
        backend.wait_for("/health/ready", 200, timeout=30)
        return backend

    yield start
    for backend in started:
        backend.stop()


def _post(backend: BackendProcess, tag: str, count: int, batch: int = 250) -> int:
    """POST `count` events of type `tag` in lists of `batch`; every answer must be 202."""
    with httpx.Client(base_url=backend.base_url, timeout=10) as http:
        for start in range(0, count, batch):
            events = [
                {"event_type": tag, "user_id": None, "properties": {"i": i}}
                for i in range(start, min(start + batch, count))
            ]
            answer = http.post("/api/events", json=events)
            assert answer.status_code == 202, answer.text
            assert answer.json() == {"accepted": len(events)}
    return count


def _spool_check(backend: BackendProcess) -> dict[str, Any]:
    body = httpx.get(f"{backend.base_url}/health", timeout=5).json()
    check: dict[str, Any] = body["checks"]["clickhouse:spool"][0]
    return check


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stored(url: str, tag: str) -> tuple[int, int]:
    """(rows, distinct event ids) of type `tag` in ClickHouse."""
    client = connect(url)
    try:
        rows = client.query(
            "SELECT count(), uniqExact(event_id) FROM events WHERE event_type = {t:String}",
            parameters={"t": tag},
        ).result_rows
    finally:
        client.close()
    return int(rows[0][0]), int(rows[0][1])


def _schema_ready(url: str) -> bool:
    try:
        return _stored(url, "no-such-type") == (0, 0)
    except Exception:  # the backend has not created the table yet
        return False


def _wait_stored(url: str, tag: str, expected: int, timeout: float = 60) -> tuple[int, int]:
    last: tuple[int, int] = (0, 0)

    def done() -> bool:
        nonlocal last
        try:
            last = _stored(url, tag)
        except Exception:
            return False
        return last[0] >= expected

    try:
        _wait(done, timeout, f"{expected} rows of {tag}")
    except AssertionError:
        raise AssertionError(
            f"{tag}: stored (rows, distinct) = {last}, expected {expected}"
        ) from None
    time.sleep(0.5)  # anything still arriving would be a duplicate: give it the chance
    return _stored(url, tag)


def test_ten_thousand_events_through_a_flapping_outage_are_stored_exactly_once(
    backend_factory: Callable[..., BackendProcess], clickhouse_server: Any
) -> None:
    backend = backend_factory(CLICKHOUSE_URL=clickhouse_server.url)
    _wait(lambda: _schema_ready(clickhouse_server.url), 30, "the schema")
    sent = 0
    most_pending = 0
    for phase in ("down", "up", "down", "up"):
        if phase == "down":
            clickhouse_server.stop()
        else:
            clickhouse_server.start()
        sent += _post(backend, "flap", 2500)
        most_pending = max(most_pending, int(_spool_check(backend)["observedValue"]))
    assert sent == 10_000
    assert most_pending > 0, "the outages never put a row in the spool"
    assert _wait_stored(clickhouse_server.url, "flap", 10_000) == (10_000, 10_000)
    _wait(lambda: _spool_check(backend)["status"] == "pass", 10, "an empty spool")
    check = _spool_check(backend)
    assert check["observedValue"] == 0 and check["droppedRows"] == 0 and check["durable"]


def test_events_whose_acknowledgement_was_lost_are_stored_once(
    backend_factory: Callable[..., BackendProcess], clickhouse_server: Any
) -> None:
    proxy = AckDroppingProxy(clickhouse_server.port)
    try:
        backend = backend_factory(CLICKHOUSE_URL=f"http://default:@127.0.0.1:{proxy.port}/default")
        _wait(lambda: _schema_ready(clickhouse_server.url), 30, "the schema")
        proxy.drop_acks = True
        _post(backend, "lost-ack", 300, batch=300)  # one insert
        _wait(lambda: proxy.dropped >= 1, 15, "an acknowledgement to be dropped")
        # ClickHouse really stored the batch, although the backend never heard so...
        assert _stored(clickhouse_server.url, "lost-ack") == (300, 300)
        # ...so the backend kept it in its spool, under the batch id of the direct insert.
        _wait(lambda: _spool_check(backend)["observedValue"] == 300, 10, "300 rows spooled")
        proxy.drop_acks = False
        _wait(lambda: _spool_check(backend)["status"] == "pass", 30, "the replay")
        assert _wait_stored(clickhouse_server.url, "lost-ack", 300) == (300, 300)
    finally:
        proxy.close()


def test_backend_killed_with_spooled_rows_is_replayed_by_the_restarted_backend(
    backend_factory: Callable[..., BackendProcess], clickhouse_server: Any, tmp_path: Path
) -> None:
    clickhouse_server.stop()
    first = backend_factory(CLICKHOUSE_URL=clickhouse_server.url)
    _post(first, "crash", 400, batch=100)
    _wait(lambda: _spool_check(first)["observedValue"] == 400, 15, "400 rows spooled")
    # The doctor's read, while the backend holds the spool's lock:
    status = read_status(tmp_path / "spool")
    assert status["pending_rows"] == 400 and status["dropped_rows"] == 0
    assert [r["owner"]["pid"] for r in status["replicas"]] == [first.proc.pid]
    assert status["replicas"][0]["directory"] == str(tmp_path / "spool" / "r1")

    first.proc.kill()  # SIGKILL: no shutdown hook runs
    first.proc.wait(10)
    clickhouse_server.start()
    second = backend_factory(CLICKHOUSE_URL=clickhouse_server.url)
    assert _wait_stored(clickhouse_server.url, "crash", 400) == (400, 400)
    _wait(lambda: _spool_check(second)["status"] == "pass", 10, "an empty spool")
    assert read_status(tmp_path / "spool")["pending_rows"] == 0


def test_small_spool_limit_drop_newest_refuses_with_503_and_loses_nothing_acknowledged(
    backend_factory: Callable[..., BackendProcess], clickhouse_server: Any
) -> None:
    backend = backend_factory(CLICKHOUSE_URL=clickhouse_server.url, CLICKHOUSE_SPOOL_MAX_ROWS="500")
    _wait(lambda: _schema_ready(clickhouse_server.url), 30, "the schema")
    clickhouse_server.stop()
    _wait(lambda: _connection(backend) == "degraded", 15, "degraded")
    answers = []
    with httpx.Client(base_url=backend.base_url, timeout=10) as http:
        for start in range(0, 800, 100):
            events = [
                {"event_type": "limit", "properties": {"i": i}} for i in range(start, start + 100)
            ]
            answers.append(http.post("/api/events", json=events))
    assert [a.status_code for a in answers] == [202] * 5 + [503] * 3
    refused = answers[-1]
    assert refused.headers["Retry-After"].isdigit()
    detail = refused.json()["detail"]
    assert "spool full" in detail and "CLICKHOUSE_SPOOL_MAX_ROWS" in detail
    assert "connection refused" in detail  # why the spool fills: ClickHouse is away
    check = _wait(lambda: (c := _spool_check(backend))["observedValue"] == 500 and c, 10, "500")
    assert check["droppedRows"] == 0
    clickhouse_server.start()
    assert _wait_stored(clickhouse_server.url, "limit", 500) == (500, 500)


def test_small_spool_limit_drop_oldest_sent_is_stored_plus_dropped_as_health_reports(
    backend_factory: Callable[..., BackendProcess], clickhouse_server: Any
) -> None:
    backend = backend_factory(
        CLICKHOUSE_URL=clickhouse_server.url,
        CLICKHOUSE_SPOOL_MAX_ROWS="500",
        CLICKHOUSE_SPOOL_POLICY="drop-oldest",
    )
    _wait(lambda: _schema_ready(clickhouse_server.url), 30, "the schema")
    clickhouse_server.stop()
    _wait(lambda: _connection(backend) == "degraded", 15, "degraded")
    sent = _post(backend, "limit", 800, batch=100)
    check = _wait(  # the health report is refreshed every 0.2 s
        lambda: (c := _spool_check(backend))["droppedRows"] == 300 and c, 10, "300 dropped"
    )
    assert check["status"] == "warn" and check["observedValue"] == 500
    assert "300 dropped" in check["output"]
    clickhouse_server.start()
    stored, distinct = _wait_stored(clickhouse_server.url, "limit", 500)
    assert stored == distinct == 500
    assert sent == stored + _spool_check(backend)["droppedRows"]


def _connection(backend: BackendProcess) -> str:
    body = httpx.get(f"{backend.base_url}/health", timeout=5).json()
    return str(body["checks"]["clickhouse:connection"][0]["state"])


def test_replicas_get_their_own_spool_and_a_clash_is_reported_by_health(
    backend_factory: Callable[..., BackendProcess], tmp_path: Path
) -> None:
    with faults.refusing() as (host, port):
        url = f"http://default:@{host}:{port}/default"
        one = backend_factory(CLICKHOUSE_URL=url, NETRA_REPLICA_ID="a")
        two = backend_factory(CLICKHOUSE_URL=url, NETRA_REPLICA_ID="b")
        clash = backend_factory(CLICKHOUSE_URL=url, NETRA_REPLICA_ID="a")
        for backend in (one, two):
            check = _spool_check(backend)
            assert check["durable"] and check["status"] == "pass", check
        check = _spool_check(clash)
        assert not check["durable"] and check["status"] == "warn"
        assert (
            "in use by another process" in check["output"] and "NETRA_REPLICA_ID" in check["output"]
        )
        refused = httpx.post(f"{clash.base_url}/api/events", json={"event_type": "a"}, timeout=5)
        assert refused.status_code == 503 and "in use by another process" in refused.text
        _post(one, "a", 10)
        _post(two, "b", 20)
        _wait(lambda: read_status(tmp_path / "spool")["pending_rows"] == 30, 10, "30 rows pending")
        replicas = read_status(tmp_path / "spool")["replicas"]
        assert [(Path(r["directory"]).name, r["pending_rows"]) for r in replicas] == [
            ("a", 10),
            ("b", 20),
        ]
