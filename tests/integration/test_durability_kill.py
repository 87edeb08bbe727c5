"""A 202 survives SIGKILL: 8 clients post while the backend is killed at random moments, with
ClickHouse down and then up; every acknowledged id is in the embedded ClickHouse exactly once.

Real processes (the backend, the engine behind a loopback switch), real files, plain counts.
Bounded for CI: a seeded schedule and a fixed number of kills.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import httpx

from netra_devtools.services.backend import BackendProcess, free_port, start_backend
from netra_devtools.services.switch import LoopbackSwitch
from tests.integration.test_clickhouse_service import connect
from tests.support.posters import Posters, compare, stored_counts

SEED = 14
KILLS_WHILE_DOWN = 3
KILLS_WHILE_UP = 3
FAST = {
    "HEALTH_INTERVAL_S": "0.2",
    "CLICKHOUSE_RETRY_MAX_S": "0.5",
    "CLICKHOUSE_CONNECT_TIMEOUT": "2",
}


def _start(env: dict[str, str], port: int, log_dir: Path) -> BackendProcess:
    backend = start_backend(env, port=port, log_dir=log_dir)
    backend.wait_for("/health/live", 200, timeout=60)
    return backend


def _settled(url: str, backend: BackendProcess, posters: Posters, tag: str) -> dict[str, int]:
    """ClickHouse's counts once every acknowledged id arrived and the spool is empty."""
    client = connect(url)
    deadline = time.monotonic() + 90
    try:
        while True:
            counts = stored_counts(client, tag)
            spool = httpx.get(f"{backend.base_url}/health", timeout=5).json()["checks"]
            pending = spool["clickhouse:spool"][0]["observedValue"]
            if not compare(posters, counts)["lost"] and pending == 0:
                time.sleep(0.5)  # a duplicate still on its way must show in the counts
                return stored_counts(client, tag)
            if time.monotonic() > deadline:
                return counts
            time.sleep(0.25)
    finally:
        client.close()


def test_sigkill_at_random_moments_loses_and_doubles_no_acknowledged_event(
    database_url: str, clickhouse_server: Any, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    switch = LoopbackSwitch("127.0.0.1", clickhouse_server.port)
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "CLICKHOUSE_URL": f"http://default:@127.0.0.1:{switch.port}/default",
        "CLICKHOUSE_SPOOL_DIR": str(tmp_path / "spool"),
        "NETRA_REPLICA_ID": "r1",
        **FAST,
    }
    posters = Posters(f"http://127.0.0.1:{port}", "kill", clients=8, seed=SEED)
    acked_by_phase = []
    switch.down()  # ClickHouse away: every batch waits in the spool
    backend = _start(env, port, tmp_path)
    posters.start()
    try:
        for kill in range(KILLS_WHILE_DOWN + KILLS_WHILE_UP):
            if kill == KILLS_WHILE_DOWN:
                acked_by_phase.append(len(posters.acked))
                switch.up()  # ClickHouse back: batches are shipped while the kills go on
            time.sleep(rng.uniform(0.3, 1.5))
            backend.proc.kill()  # SIGKILL: no shutdown hook, whatever it was doing
            backend.proc.wait(15)
            backend = _start(env, port, tmp_path)
        time.sleep(1.0)
    finally:
        posters.stop()
    acked_by_phase.append(len(posters.acked) - acked_by_phase[0])
    try:
        counts = _settled(clickhouse_server.url, backend, posters, "kill")
    finally:
        backend.stop()
        switch.close()
    outcome = compare(posters, counts)
    summary = (
        f"acknowledged {len(posters.acked)} (down {acked_by_phase[0]}, up {acked_by_phase[1]}), "
        f"unanswered {len(posters.unanswered)}, refused {len(posters.refused)}, "
        f"stored {sum(counts.values())}: lost {len(outcome['lost'])}, "
        f"doubled {len(outcome['doubled'])}, strangers {len(outcome['strangers'])}"
    )
    print(summary)
    assert all(acked_by_phase) and posters.unanswered, f"the kills missed the traffic: {summary}"
    assert not posters.unexpected and not posters.refused, (
        posters.unexpected or posters.refusals[:3]
    )
    assert outcome == {"lost": [], "doubled": [], "strangers": []}, summary
