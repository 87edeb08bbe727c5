"""Backend with ClickHouse refused, silent (accepts, never answers) or erroring (HTTP 500) vs
ClickHouse unset, in the same run.

Startup to /health/ready 200 for each; /health p99 and POST /api/events p99 under 32 concurrent
clients with ClickHouse silent; the servers are measured in interleaved rounds and the medians
compared.

$ python -m benchmarks.bench_backend_startup
{"measurement": "start to /health/ready 200 (s)", "ours": 1.41, "anchor": 1.39, ...}
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

from benchmarks._http_load import latencies, load_apart, p99
from benchmarks._timing import at_most_x
from netra_devtools.services import faults, postgres
from netra_devtools.services.backend import BackendProcess, start_backend

STARTUP_ROUNDS = 7
# p99 on two shared cores is noisy (an A/A pair differs by up to 1.5x in a single round), so
# many short rounds, and the median of their p99s; a second unset server shows the noise floor.
LOAD_ROUNDS = 15
CLIENTS = 32
REQUESTS_PER_CLIENT = 30
COMMAND = "python -m benchmarks.bench_backend_startup"
EVENT = json.dumps({"event_type": "bench", "properties": {"n": 1}}).encode()


def _latencies(backend: BackendProcess, method: str, path: str, body: bytes | None) -> list[float]:
    """CLIENTS concurrent keep-alive connections, REQUESTS_PER_CLIENT each; seconds per request
    (/health must answer 2xx; the events' answers are timed whatever they are)."""
    expect = b"HTTP/1.1 2" if path == "/health" else None
    seconds, _ = latencies(
        backend.host, backend.port, method, path, body, CLIENTS, REQUESTS_PER_CLIENT, expect, 120
    )
    return seconds


def _row(
    measurement: str, ours: float, anchor: float, unit: str, ratio: float, *, what: str = ""
) -> dict[str, Any]:
    return {
        "measurement": measurement,
        "ours": round(ours, 4),
        "anchor": round(anchor, 4),
        "unit": unit,
        "goal": at_most_x(ratio, f"{what or 'ClickHouse silent'} <= {ratio}x ClickHouse unset"),
        "command": COMMAND,
    }


def _startup_seconds(variants: dict[str, dict[str, str]]) -> dict[str, list[float]]:
    """Process start to /health/ready 200, alternating which variant starts first."""
    startup: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(STARTUP_ROUNDS):
        order = list(variants) if index % 2 == 0 else list(variants)[::-1]
        for name in order:
            backend = start_backend(variants[name])
            try:
                startup[name].append(backend.wait_for("/health/ready", 200, timeout=60))
            finally:
                backend.stop()
    return startup


def _p99_rounds(
    servers: dict[str, BackendProcess], method: str, path: str, body: bytes | None
) -> dict[str, float]:
    """Median over LOAD_ROUNDS of each server's p99 in ms; the order rotates every round."""
    names = list(servers)
    p99s: dict[str, list[float]] = {name: [] for name in names}
    for index in range(LOAD_ROUNDS):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            p99s[name].append(p99(_latencies(servers[name], method, path, body)) * 1000)
    return {name: statistics.median(values) for name, values in p99s.items()}


def run() -> list[dict[str, Any]]:
    """Rows for docs/benchmarks.md: ours = ClickHouse silent, anchor = ClickHouse unset."""
    cluster = postgres.start_throwaway()
    try:
        url = cluster.create_database("bench")
        with (
            faults.silent() as (host, port),
            faults.refusing() as refused,
            faults.http_500() as erroring,
        ):
            variants = {
                "silent": {
                    "DATABASE_URL": url,
                    "CLICKHOUSE_URL": f"http://b:pw@{host}:{port}/netra",
                },
                "refused": {
                    "DATABASE_URL": url,
                    "CLICKHOUSE_URL": f"http://b:pw@{refused[0]}:{refused[1]}/netra",
                },
                "erroring": {
                    "DATABASE_URL": url,
                    "CLICKHOUSE_URL": f"http://b:pw@{erroring[0]}:{erroring[1]}/netra",
                },
                "unset": {"DATABASE_URL": url},
            }
            startup = _startup_seconds(variants)
            servers = {name: start_backend(variants[name]) for name in ("silent", "unset")}
            servers["unset-again"] = start_backend(variants["unset"])
            try:
                for backend in servers.values():
                    backend.wait_for("/health/ready", 200, timeout=60)
                with load_apart(backend.proc.pid for backend in servers.values()):
                    health = _p99_rounds(servers, "GET", "/health", None)
                    events = _p99_rounds(servers, "POST", "/api/events", EVENT)
            finally:
                for backend in servers.values():
                    backend.stop()
    finally:
        cluster.destroy()
    med = statistics.median
    return [
        *(
            _row(
                f"start to /health/ready 200, ClickHouse {name}",
                med(startup[name]),
                med(startup["unset"]),
                "s",
                1.2,
                what=f"ClickHouse {name}",
            )  # fmt: skip
            for name in ("refused", "silent", "erroring")
        ),
        _row(f"/health p99, {CLIENTS} clients", health["silent"], health["unset"], "ms", 1.3),
        _row(
            f"POST /api/events p99, {CLIENTS} clients", events["silent"], events["unset"], "ms", 1.3
        ),
        _row(
            "noise floor: /health p99, unset vs unset",
            health["unset-again"],
            health["unset"],
            "ms",
            1.3,
            what="a second server with ClickHouse unset",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, default=str))
    sys.exit(0)
