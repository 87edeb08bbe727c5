"""The API over both stores: users on PostgreSQL, events into a real embedded ClickHouse engine."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from netra_backend.app.db.models import Base
from netra_devtools.services.backend import start_backend
from tests.support.skips import BY_DESIGN, service_missing


def _require_chdb() -> None:
    """The embedded ClickHouse engine; missing is a skip, or a failure under NETRA_REQUIRE_SERVICES=1."""
    import importlib.util

    from netra_devtools.compat import WINDOWS

    if WINDOWS:
        pytest.skip(
            BY_DESIGN
            + "chdb has no Windows wheel; analytics runs without the embedded engine there"
        )
    if importlib.util.find_spec("chdb") is None:
        service_missing("chdb (pip extra `embedded`) is not installed")


@pytest.fixture
def schema_url(database_url: str) -> str:
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return database_url


def test_users_create_get_duplicate_missing_and_invalid(schema_url, tmp_path):
    backend = start_backend({"DATABASE_URL": schema_url}, log_dir=tmp_path)
    try:
        backend.wait_for("/health/ready", 200, timeout=30)
        with httpx.Client(base_url=backend.base_url, timeout=5) as client:
            created = client.post(
                "/api/users", json={"email": "Grace@Example.com", "full_name": "Grace"}
            )
            assert created.status_code == 201
            user = created.json()
            assert user["email"] == "grace@example.com" and user["is_active"] is True

            fetched = client.get(f"/api/users/{user['id']}")
            assert fetched.status_code == 200 and fetched.json()["full_name"] == "Grace"

            duplicate = client.post("/api/users", json={"email": "grace@example.com"})
            assert duplicate.status_code == 409
            assert client.get("/api/users/999999").status_code == 404
            assert client.post("/api/users", json={"email": "not-an-email"}).status_code == 422
            assert client.post("/api/users", json={}).status_code == 422
    finally:
        backend.stop()
    engine = create_engine(schema_url)
    with engine.connect() as conn:
        emails = conn.execute(text("SELECT email FROM userbase")).scalars().all()
    engine.dispose()
    assert emails == ["grace@example.com"]


def test_events_reject_bad_bodies(schema_url, tmp_path):
    backend = start_backend({"DATABASE_URL": schema_url}, log_dir=tmp_path)
    try:
        backend.wait_for("/health/ready", 200, timeout=30)
        with httpx.Client(base_url=backend.base_url, timeout=5) as client:
            for body in ({}, {"event_type": ""}, [], {"event_type": "x", "properties": "nope"},
                         {"event_type": "x", "timestamp": "yesterday"}):  # fmt: skip
                assert client.post("/api/events", json=body).status_code == 422, body
            ok = client.post(
                "/api/events", json={"event_type": "x", "timestamp": "2026-01-02T03:04:05Z"}
            )
            assert ok.status_code == 202 and ok.json() == {"accepted": 1}
    finally:
        backend.stop()


def test_events_reach_embedded_clickhouse_and_stats_count_them(schema_url, tmp_path):
    _require_chdb()
    ch_dir = tmp_path / "clickhouse"
    backend = start_backend(
        {
            "DATABASE_URL": schema_url,
            "CLICKHOUSE_URL": f"chdb://{ch_dir}",
            "HEALTH_INTERVAL_S": "0.2",
        },
        log_dir=tmp_path,
    )
    try:
        backend.wait_for("/health/ready", 200, timeout=30)
        with httpx.Client(base_url=backend.base_url, timeout=10) as client:
            # Sent before ClickHouse is connected: they wait in the spool and are shipped.
            early = [{"event_type": "signup", "user_id": f"u{i}"} for i in range(3)]
            assert client.post("/api/events", json=early).json() == {"accepted": 3}
            deadline = time.monotonic() + 60
            while (
                client.get("/health").json()["checks"]["clickhouse:connection"][0]["state"]
                != "connected"
            ):
                assert time.monotonic() < deadline, "embedded ClickHouse never connected"
                time.sleep(0.1)
            late = [{"event_type": "login", "properties": {"n": i}} for i in range(5)]
            assert client.post("/api/events", json=late).json() == {"accepted": 5}
            counts = {}
            while counts != {"login": 5, "signup": 3}:
                assert time.monotonic() < deadline, f"stats never reached the rows: {counts}"
                time.sleep(0.1)
                answer = client.get("/api/events/stats")
                counts = answer.json()["counts"] if answer.status_code == 200 else {}
            assert client.get("/health/ready").json()["status"] == "pass"
    finally:
        backend.stop()
