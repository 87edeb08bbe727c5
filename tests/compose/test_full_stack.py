"""The full profile as a developer runs it: `invoke dev`, `invoke doctor`, events posted while
ClickHouse is stopped and started again, then `invoke down`.

One stack serves the module (one ClickHouse container: the heaviest image); the tests run in
file order and the last one takes the stack down.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from netra_devtools.launcher.compose import PROJECT_LABEL
from tests.compose.stack import Stack, health_of, wait_for
from tests.integration.test_clickhouse_service import connect
from tests.support.posters import Posters, compare, stored_counts

pytestmark = pytest.mark.timeout(900)

SERVICES = ("postgres", "clickhouse", "backend")
HEALTH_PASS_TIMEOUT_S = 90  # past the backend's reconnect backoff (CLICKHOUSE_RETRY_MAX_S=30)
# scenario 3: a light load (the machine is shared), posting for a while once /health warns
POSTERS, POST_PAUSE_S, OUTAGE_POSTING_S = 3, 0.1, 2.0
# the backend's first shipping attempt after the stop ends when resolving `clickhouse` does:
# Docker's DNS forwards a stopped container's name upstream, unreachable here (20 s, measured)
OUTAGE_NOTICED_TIMEOUT_S = 90
EVENT_TAG = "compose-outage"
HealthSummary = tuple[int, str, str, int]  # HTTP status, status, clickhouse:connection, spool rows


def _passing(stack: Stack) -> Any:
    """A probe for wait_for: the /health reply once its status is `pass`, else None."""

    def probe() -> tuple[int, dict[str, Any]] | None:
        status, body = stack.health()
        return (status, body) if body.get("status") == "pass" else None

    return probe


def _restart_and_wait_healthy(client: Any, container: Any) -> None:
    container.start()
    wait_for(lambda: health_of(container) == "healthy", 90, f"{container.name} healthy again")


def test_dev_compose_full_profile_starts_every_service_healthy_and_health_passes(
    full_stack: Stack, docker_client: Any
) -> None:
    started = full_stack.started
    assert started is not None and started.returncode == 0, started and started.stderr
    assert "3 service(s) ready" in started.stdout
    for service in SERVICES:
        assert health_of(full_stack.container(docker_client, service)) == "healthy", service
    # ClickHouse is optional: the backend is ready without it and connects in the background
    status, body = wait_for(
        _passing(full_stack),
        HEALTH_PASS_TIMEOUT_S,
        lambda: f"/health passes; it says {full_stack.health()}",
    )
    assert status == 200
    assert body["checks"]["postgres:connection"][0]["status"] == "pass"
    assert body["checks"]["clickhouse:connection"][0]["status"] == "pass"


def test_doctor_in_compose_mode_is_right_about_each_service(
    full_stack: Stack, docker_client: Any
) -> None:
    code, checks = full_stack.doctor()
    assert code == 0, checks
    for name in ("docker", "ports", "postgres", "migrations", "clickhouse"):
        assert checks[name]["status"] == "ok", checks[name]
    assert "held by our running stack" in checks["ports"]["reason"]
    assert checks["postgres"]["reason"].startswith("PostgreSQL ")
    assert checks["clickhouse"]["reason"].startswith("ClickHouse ")
    # the project's own container logs are read; a start-up race (a probe while PostgreSQL
    # starts, the backend before ClickHouse) may have left a known line there: a warning at most
    assert checks["logs"]["status"] in ("ok", "warn"), checks["logs"]
    assert full_stack.project in checks["logs"]["reason"]

    clickhouse = full_stack.container(docker_client, "clickhouse")
    clickhouse.stop(timeout=10)
    try:
        code, checks = full_stack.doctor()
        assert code == 0, checks  # ClickHouse is optional: a warning, not a failure
        assert checks["clickhouse"]["status"] == "warn"
        assert "unreachable" in checks["clickhouse"]["reason"]
        assert checks["postgres"]["status"] == "ok"
    finally:
        _restart_and_wait_healthy(docker_client, clickhouse)

    postgres = full_stack.container(docker_client, "postgres")
    postgres.stop(timeout=10)
    try:
        code, checks = full_stack.doctor()
        assert code == 1, checks
        assert checks["postgres"]["status"] == "fail"
        assert checks["migrations"]["status"] == "skipped"
        assert checks["clickhouse"]["status"] == "ok"
    finally:
        _restart_and_wait_healthy(docker_client, postgres)


def _clickhouse(stack: Stack) -> Any:
    """A client on the clickhouse service's published port (a new one: the old pool's sockets
    died with the container)."""
    return connect(f"http://default:@127.0.0.1:{stack.clickhouse_port}/default")


def _health_summary(stack: Stack) -> HealthSummary:
    """(HTTP status, /health status, clickhouse:connection status, rows the spool holds)."""
    code, body = stack.health()
    checks = body.get("checks", {})
    connection = checks.get("clickhouse:connection", [{}])[0].get("status", "?")
    pending = checks.get("clickhouse:spool", [{}])[0].get("observedValue", -1)
    return code, str(body.get("status")), str(connection), int(pending)


def _health_when(
    stack: Stack, accept: Callable[[HealthSummary], bool], seen: list[HealthSummary] | None = None
) -> Any:
    """A probe for wait_for: the health summary once `accept` takes it, else None; every
    summary read goes to `seen` too."""

    def probe() -> HealthSummary | None:
        summary = _health_summary(stack)
        if seen is not None:
            seen.append(summary)
        return summary if accept(summary) else None

    return probe


def _spool_status(stack: Stack) -> dict[str, Any]:
    """`invoke spool --json`: in compose mode, read in the backend container (`docker exec`)."""
    done = stack.invoke("spool", "--json")
    assert done.returncode == 0, done.stderr
    status: dict[str, Any] = json.loads(done.stdout)
    return status


def _post_through_outage(stack: Stack, client: Any, posters: Posters) -> dict[str, Any]:
    """Events posted before, while and after ClickHouse's container is stopped; what was seen."""
    clickhouse = stack.container(client, "clickhouse")
    reader = _clickhouse(stack)
    seen: dict[str, Any] = {}
    posters.start()
    try:
        seen["stored_before"] = wait_for(
            lambda: stored_counts(reader, EVENT_TAG), 60, "acknowledged events in ClickHouse"
        )
        reader.close()
        clickhouse.stop(timeout=10)
        seen["acked_at_stop"], stopped_at = len(posters.acked), time.monotonic()
        outage: list[HealthSummary] = []
        seen["outage"] = outage
        wait_for(  # the connection check notices once a shipping attempt fails (here: DNS)
            _health_when(stack, lambda summary: summary[2] != "pass", outage),
            OUTAGE_NOTICED_TIMEOUT_S,
            lambda: f"/health warns with ClickHouse stopped; it says {stack.health()}",
        )
        seen["noticed_after_s"] = round(time.monotonic() - stopped_at, 1)
        time.sleep(OUTAGE_POSTING_S)
        outage.append(_health_summary(stack))
        seen["acked_in_outage"] = len(posters.acked) - seen["acked_at_stop"]
    finally:
        try:
            _restart_and_wait_healthy(client, clickhouse)
        finally:
            posters.stop()
    return seen


def test_clickhouse_stopped_while_events_are_posted_stores_every_acknowledged_event_once(
    full_stack: Stack, docker_client: Any
) -> None:
    wait_for(_passing(full_stack), HEALTH_PASS_TIMEOUT_S, lambda: f"{full_stack.health()}")
    base_url = f"http://127.0.0.1:{full_stack.backend_port}"
    posters = Posters(base_url, EVENT_TAG, clients=POSTERS, seed=20, pause_s=POST_PAUSE_S)
    seen = _post_through_outage(full_stack, docker_client, posters)
    # ClickHouse is optional: the backend answered every post (202, or 503 to come back later)
    assert posters.unexpected == [] and posters.unanswered == [], posters.unexpected[:3]
    assert posters.unreachable == 0
    assert seen["acked_in_outage"] > 0, seen  # the backend acknowledged into its spool
    outage = seen["outage"]
    assert {summary[:2] for summary in outage} <= {(200, "pass"), (200, "warn")}, outage
    assert outage[-1][:3] == (200, "warn", "warn") and outage[-1][3] > 0, outage  # rows wait

    drained = wait_for(
        _health_when(full_stack, lambda summary: summary[1] == "pass" and summary[3] == 0),
        HEALTH_PASS_TIMEOUT_S,
        lambda: f"/health passes with the spool drained; it says {_health_summary(full_stack)}",
    )
    assert drained[:3] == (200, "pass", "pass")
    # the spool itself, read live (/health is a cache): nothing acknowledged waits any more
    wait_for(lambda: _spool_status(full_stack)["pending_rows"] == 0, 60, "an empty spool")

    reader = _clickhouse(full_stack)
    try:
        counts = stored_counts(reader, EVENT_TAG)
    finally:
        reader.close()
    gone = [i for i in seen["stored_before"] if counts.get(i, 0) == 0]
    assert gone == [], f"stored before `docker stop`, gone after `docker start`: {len(gone)}"
    outcome = compare(posters, counts)
    summary = (
        f"acknowledged {len(posters.acked)} ({seen['acked_in_outage']} with ClickHouse stopped, "
        f"noticed after {seen['noticed_after_s']} s), "
        f"refused {len(posters.refused)}, stored {sum(counts.values())}: "
        f"lost {len(outcome['lost'])}, doubled {len(outcome['doubled'])}, "
        f"strangers {len(outcome['strangers'])}"
    )
    print(summary)
    assert outcome == {"lost": [], "doubled": [], "strangers": []}, summary


def test_down_leaves_no_container_network_or_anonymous_volume(
    full_stack: Stack, docker_client: Any
) -> None:
    done = full_stack.invoke("down")
    assert done.returncode == 0, done.stderr
    assert f"compose project {full_stack.project} taken down" in done.stdout
    label = {"label": f"{PROJECT_LABEL}={full_stack.project}"}
    assert docker_client.containers.list(all=True, filters=label) == []
    assert docker_client.networks.list(filters=label) == []
    new = [v for v in docker_client.volumes.list() if v.name not in full_stack.volumes_before]
    named = {v.name: (v.attrs.get("Labels") or {}).get("com.docker.compose.volume") for v in new}
    assert [name for name, volume in named.items() if not volume] == []  # no anonymous volume
    # what stays is the developer's data: the compose file's named volumes, nothing else
    assert set(named.values()) <= {
        "postgres-data",
        "clickhouse-data",
        "backend-spool",
    }
    assert not (full_stack.state_dir / "state.json").exists()
