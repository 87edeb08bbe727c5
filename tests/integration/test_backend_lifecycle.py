"""Lifespan: the database gates startup; shutdown stops every background thread and closes pools."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from netra_backend.app.config import load_settings
from netra_backend.app.db.database_manager import DatabaseUnavailable
from netra_backend.app.main import create_app
from netra_devtools.services import faults

BACKGROUND = ("analytics-client", "health-monitor", "pg-probe")


def _background_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(BACKGROUND) and t.is_alive()]


def test_shutdown_stops_background_threads_even_while_clickhouse_hangs(database_url):
    with faults.silent() as (host, port):
        settings = load_settings(
            netra_env="development",
            database_url=database_url,
            clickhouse_url=f"http://u:pw@{host}:{port}/netra",
            health_interval_s=0.2,
        )
        app = create_app(settings)
        started = time.perf_counter()
        with TestClient(app) as client:
            startup = time.perf_counter() - started
            assert client.get("/health/ready").status_code == 200
            assert {"analytics-client", "health-monitor"} <= {
                n.split("_")[0] for n in _background_threads()
            }
            assert client.post("/api/events", json={"event_type": "x"}).status_code == 202
        # Startup did not wait for the silent server's 3 s connect timeout.
        assert startup < 2.5, f"startup took {startup:.2f} s"
    deadline = time.monotonic() + 2
    while _background_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _background_threads() == []
    assert app.state.db.engine.pool.checkedout() == 0


def test_lifespan_fails_fast_with_one_line_when_database_is_unreachable():
    with faults.refusing() as (host, port):
        settings = load_settings(
            netra_env="development",
            database_url=f"postgresql://app:S3cret-x@{host}:{port}/netra",
            db_connect_retries=3,
            db_retry_backoff_s=0.05,
        )
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable) as caught:
            with TestClient(create_app(settings)):
                pass
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert f"{host}:{port}" in message and "after 3 attempt(s)" in message
    assert "S3cret-x" not in message and "\n" not in message
    assert _background_threads() == []
