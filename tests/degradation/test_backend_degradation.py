"""ClickHouse away (refused, silent, 500, reset): the backend is ready with `warn` and keeps accepting events."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from netra_devtools.services import faults
from netra_devtools.services.backend import BackendProcess, start_backend

CH_PASSWORD = "Ch-Pa55word-zz91"
FAULTS = {
    "refused": (faults.refusing, "connection refused"),
    "silent": (faults.silent, "timed out"),
    "http_500": (faults.http_500, "HTTP 500"),
    "reset": (faults.reset_mid_response, "reset"),
}
EVENT = {"event_type": "signup", "user_id": "u1", "properties": {"plan": "free"}}


def _password(url: str) -> str:
    from urllib.parse import urlsplit

    password = urlsplit(url).password
    assert password
    return password


@pytest.fixture
def backend_factory(database_url: str, tmp_path) -> Iterator:
    started: list[BackendProcess] = []

    def start(**env: str) -> BackendProcess:
        backend = start_backend(
            {"DATABASE_URL": database_url, "HEALTH_INTERVAL_S": "0.3", **env}, log_dir=tmp_path
        )
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


def _wait_for_clickhouse_output(client: httpx.Client, timeout: float, spooled: int = 0) -> dict:
    # /health shows the circuit opening at once (the monitor is woken by it); rows accepted just
    # before or after reach the spool on the client's thread and show at the next refresh
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get("/health").json()
        check = body["checks"]["clickhouse:connection"][0]
        waiting = body["checks"]["clickhouse:spool"][0]["observedValue"]
        if check["state"] == "degraded" and waiting >= spooled:
            return body
        time.sleep(0.1)
    raise AssertionError(f"ClickHouse never reported degraded: {body}")


def _wait_for_spool_rows(client: httpx.Client, rows: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while (spool := client.get("/health").json()["checks"]["clickhouse:spool"][0]) and (
        spool["observedValue"] != rows and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    return dict(spool)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_clickhouse_fault_leaves_backend_ready_with_warn(backend_factory, database_url, fault):
    make_fault, reason = FAULTS[fault]
    with make_fault() as (host, port):
        ch_url = f"http://netra:{CH_PASSWORD}@{host}:{port}/netra"
        backend = backend_factory(CLICKHOUSE_URL=ch_url)
        backend.wait_for("/health/ready", 200, timeout=30)
        with httpx.Client(base_url=backend.base_url, timeout=5) as client:
            # Right after startup ClickHouse is still being tried; an event must not wait for it.
            started = time.perf_counter()
            accepted = client.post("/api/events", json=[EVENT, EVENT])
            elapsed = time.perf_counter() - started
            assert accepted.status_code == 202
            assert accepted.json() == {"accepted": 2}
            assert elapsed < 0.5, f"POST took {elapsed:.2f} s; the connect timeout is 3 s"

            body = _wait_for_clickhouse_output(client, timeout=10, spooled=2)
            ready = client.get("/health/ready")
            assert ready.status_code == 200
            assert ready.headers["content-type"].startswith("application/health+json")
            assert ready.json()["status"] == "warn"
            check = body["checks"]["clickhouse:connection"][0]
            assert check["status"] == "warn"
            assert reason in check["output"]
            assert body["checks"]["postgres:connection"][0]["status"] == "pass"
            # The cached report may predate the POST (it refreshes every HEALTH_INTERVAL_S).
            spool = _wait_for_spool_rows(client, 2, timeout=5)
            assert spool["observedValue"] == 2 and spool["status"] == "warn"

            started = time.perf_counter()
            single = client.post("/api/events", json=EVENT)
            assert single.status_code == 202 and single.json() == {"accepted": 1}
            assert time.perf_counter() - started < 0.5

            stats = client.get("/api/events/stats")
            assert stats.status_code == 503
            assert reason in stats.json()["detail"]

            responses = [ready.text, stats.text, client.get("/health").text]
    backend.stop()
    for text in [*responses, backend.log_text()]:
        assert CH_PASSWORD not in text
        assert _password(database_url) not in text


def test_clickhouse_required_makes_readiness_fail(backend_factory):
    with faults.refusing() as (host, port):
        backend = backend_factory(
            CLICKHOUSE_URL=f"http://netra:{CH_PASSWORD}@{host}:{port}/netra",
            CLICKHOUSE_REQUIRED="true",
        )
        backend.wait_for("/health/live", 200, timeout=30)
        backend.wait_for("/health/ready", 503, timeout=10)
        with httpx.Client(base_url=backend.base_url, timeout=5) as client:
            body = client.get("/health/ready").json()
            assert body["status"] == "fail"
            assert body["checks"]["clickhouse:connection"][0]["status"] == "fail"
            assert client.post("/api/events", json=EVENT).status_code == 202


def test_analytics_disabled_is_ready_and_passes(backend_factory):
    backend = backend_factory()
    backend.wait_for("/health/ready", 200, timeout=30)
    with httpx.Client(base_url=backend.base_url, timeout=5) as client:
        body = client.get("/health").json()
        assert body["status"] == "pass"
        assert set(body["checks"]) == {
            "postgres:connection",
            "clickhouse:connection",
            "clickhouse:spool",
        }
        for items in body["checks"].values():
            assert {
                "componentType",
                "observedValue",
                "observedUnit",
                "status",
                "time",
                "output",
            } <= set(items[0])
        assert "CLICKHOUSE_URL is not set" in body["checks"]["clickhouse:connection"][0]["output"]
        assert client.get("/health/live").json() == {"status": "pass"}
        assert client.post("/api/events", json=EVENT).status_code == 202
        assert client.get("/api/events/stats").status_code == 503
