"""PostgreSQL stopped under a running backend: readiness fails within one interval, recovers, never dies."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import create_engine

from netra_backend.app.db.models import Base
from netra_devtools.services.backend import start_backend

INTERVAL_S = 0.3
# One monitor interval, plus what it takes to notice a refused connection and to poll (50 ms).
SLACK_S = 0.4


def _create_schema(url: str) -> None:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def _seconds_until(client: httpx.Client, status: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if client.get("/health/ready").status_code == status:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"/health/ready never answered {status} within {timeout} s")


def test_postgres_outage_fails_readiness_then_recovers(postgres_cluster, tmp_path):
    url = postgres_cluster.create_database("netra")
    _create_schema(url)
    backend = start_backend(
        {"DATABASE_URL": url, "HEALTH_INTERVAL_S": str(INTERVAL_S), "HEALTH_PROBE_TIMEOUT_S": "1"},
        log_dir=tmp_path,
    )
    try:
        backend.wait_for("/health/ready", 200, timeout=30)
        with httpx.Client(base_url=backend.base_url, timeout=5) as client:
            created = client.post("/api/users", json={"email": "ada@example.com"})
            assert created.status_code == 201

            postgres_cluster.stop()
            took = _seconds_until(client, 503, timeout=10)
            assert took <= INTERVAL_S + SLACK_S, f"readiness took {took:.2f} s to fail"
            body = client.get("/health/ready").json()
            check = body["checks"]["postgres:connection"][0]
            assert body["status"] == "fail" and check["status"] == "fail"
            assert f"127.0.0.1:{postgres_cluster.port}" in check["output"]
            assert client.get("/health/live").status_code == 200
            # Requests that need the database say so, quickly, instead of hanging.
            assert client.get(f"/api/users/{created.json()['id']}").status_code == 503
            assert client.post("/api/events", json={"event_type": "x"}).status_code == 202

            postgres_cluster.start()
            _seconds_until(client, 200, timeout=10)
            again = client.get(f"/api/users/{created.json()['id']}")
            assert again.status_code == 200 and again.json()["email"] == "ada@example.com"
        assert backend.proc.poll() is None, "the backend died during the outage"
    finally:
        assert backend.stop() in (0, -15)
    assert postgres_cluster.password not in backend.log_text()
