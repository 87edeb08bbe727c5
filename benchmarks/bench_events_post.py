"""POST /api/events under 32 concurrent clients, with ClickHouse down (refused) and up (the
embedded engine): durable throughput and p99 of this tree against the commit before the spool
became a write-ahead log (a git worktree of it, run in the same benchmark run), and how many
fsyncs each acknowledged batch cost.

Before that change a 202 only meant "queued in memory"; now it means "fsync'd in the spool",
so this is the price of the promise. Four backends run side by side (ours and the anchor, each
with ClickHouse down and up); each round loads every one of them in turn, the order rotating,
and the medians of the rounds are compared. The load generator and the backends are pinned to
different cores.

    $ python -m benchmarks.bench_events_post
    {"measurement": "POST /api/events, 32 clients, ClickHouse down: acknowledged requests/s", ...}
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._http_load import load, load_apart
from benchmarks._timing import Goal, at_least_x, at_most_x, row
from netra_devtools.paths import REPO_ROOT
from netra_devtools.services import faults, postgres
from netra_devtools.services.backend import BackendProcess, start_backend
from netra_devtools.services.clickhouse import start_embedded

COMMAND = "python -m benchmarks.bench_events_post"
# The commit before the change: main as it was when the write-ahead spool was merged into it.
BEFORE = os.environ.get("NETRA_BENCH_BEFORE", "75fd6a8")
CLIENTS = 32
REQUESTS_PER_CLIENT = 40
ROUNDS = 5
EVENTS_PER_REQUEST = 10
BODY = json.dumps(
    [{"event_type": "bench", "user_id": f"u{i}", "properties": {"n": i}}
     for i in range(EVENTS_PER_REQUEST)]
).encode()  # fmt: skip
THROUGHPUT_GOAL, P99_GOAL = 0.7, 1.5


def _anchor_tree(work: Path) -> Path:
    """A git worktree of BEFORE (removed by `_remove_tree`)."""
    tree = work / "before"
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(tree), BEFORE],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return tree


def _remove_tree(tree: Path) -> None:
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(tree)],
        capture_output=True, timeout=120,
    )  # fmt: skip


def _spool_counters(backend: BackendProcess, spool: Path) -> tuple[int, int]:
    """(fsyncs, committed batches) from the backend's spool status (loopback, with the admin
    token it wrote beside its spool)."""
    from netra_backend.app.admin_token import TOKEN_HEADER, read_token

    headers = {TOKEN_HEADER: read_token(spool) or ""}
    answer = httpx.get(f"{backend.base_url}/api/admin/spool", headers=headers, timeout=10,
                       trust_env=False)  # fmt: skip
    answer.raise_for_status()
    status = answer.json()
    return int(status["fsyncs"]), int(status["committed_batches"])


def _rounds(
    backends: dict[str, BackendProcess], spools: dict[str, Path]
) -> dict[str, dict[str, Any]]:
    """Per backend: median throughput and p99 over ROUNDS, and fsyncs per batch (ours)."""
    names = list(backends)
    samples: dict[str, dict[str, list[float]]] = {
        n: {"rate": [], "p99": [], "cpu": []} for n in names
    }
    fsyncs = {name: [0, 0] for name in names}
    requests = CLIENTS * REQUESTS_PER_CLIENT
    for index in range(ROUNDS + 1):  # round 0 warms every server up and is not counted
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            backend = backends[name]
            ours = name.startswith("ours")
            before = _spool_counters(backend, spools[name]) if ours else (0, 0)
            cpu = _cpu_seconds(backend)
            rate, p99 = load(backend.host, backend.port, BODY, CLIENTS, REQUESTS_PER_CLIENT)
            cpu = _settled_cpu_seconds(backend) - cpu  # work deferred past the 202 counts too
            if not index:
                continue
            for key, value in (("rate", rate), ("p99", p99 * 1000), ("cpu", cpu * 1000 / requests)):
                samples[name][key].append(value)
            print(f"   round {index} {name}: {rate:.0f} req/s, p99 {p99 * 1000:.0f} ms, "
                  f"{cpu * 1000 / requests:.2f} ms CPU/request", file=sys.stderr)  # fmt: skip
            if ours:
                after = _spool_counters(backend, spools[name])
                fsyncs[name][0] += after[0] - before[0]
                fsyncs[name][1] += after[1] - before[1]
    return {
        name: {
            **{key: statistics.median(values) for key, values in samples[name].items()},
            "fsyncs_per_batch": fsyncs[name][0] / max(fsyncs[name][1], 1),
        }
        for name in names
    }


def _settled_cpu_seconds(backend: BackendProcess, timeout: float = 30.0) -> float:
    """The backend's CPU seconds once it is idle again (background work for the round done), so
    that neither the anchor's deferred spooling nor our shipping is left out or bleeds into the
    next server's round."""
    deadline = time.monotonic() + timeout
    used = _cpu_seconds(backend)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _cpu_seconds(backend)
        if now - used < 0.01:  # under 4% of a core: idle (health probes, pings)
            return now
        used = now
    return used


def _cpu_seconds(backend: BackendProcess) -> float:
    """User + system CPU the backend process (all its threads) has used so far."""
    import psutil

    times = psutil.Process(backend.proc.pid).cpu_times()
    return float(times.user + times.system)


def run() -> list[dict[str, Any]]:
    """Rows for docs/benchmarks.md: ours = this tree, anchor = BEFORE, same run."""
    work = Path(tempfile.mkdtemp(prefix="netra-bench-post-"))
    tree = _anchor_tree(work)
    cluster = postgres.start_throwaway()
    engine = start_embedded(work / "clickhouse")
    backends: dict[str, BackendProcess] = {}
    spools: dict[str, Path] = {}
    try:
        url = cluster.create_database("bench")
        with faults.refusing() as (host, port):
            clickhouse = {"down": f"http://default:@{host}:{port}/default", "up": engine.url}
            for who in ("ours", "anchor"):
                for state, ch_url in clickhouse.items():
                    spool = work / f"spool-{who}-{state}"
                    spools[f"{who}-{state}"] = spool / who  # <CLICKHOUSE_SPOOL_DIR>/<replica id>
                    env = {"DATABASE_URL": url, "CLICKHOUSE_URL": ch_url, "NETRA_REPLICA_ID": who,
                           "CLICKHOUSE_SPOOL_DIR": str(spool)}  # fmt: skip
                    if who == "anchor":  # the old tree's packages come first on sys.path
                        env["PYTHONPATH"] = str(tree)
                    backends[f"{who}-{state}"] = start_backend(env, log_dir=work)
            for backend in backends.values():
                backend.wait_for("/health/ready", 200, timeout=90)
            with load_apart(backend.proc.pid for backend in backends.values()):
                results = _rounds(backends, spools)
    finally:
        for backend in backends.values():
            backend.stop()
        engine.destroy()
        cluster.destroy()
        _remove_tree(tree)
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for state in ("down", "up"):
        ours, anchor = results[f"ours-{state}"], results[f"anchor-{state}"]
        what = (
            f"POST /api/events ({EVENTS_PER_REQUEST} events), {CLIENTS} clients, ClickHouse {state}"
        )
        figures: list[tuple[str, str, str, Goal | None]] = [
            ("rate", f"acknowledged requests/s (anchor: {BEFORE}, 202 from memory)", "req/s",
             at_least_x(THROUGHPUT_GOAL)),
            ("p99", f"p99 latency (anchor: {BEFORE})", "ms", at_most_x(P99_GOAL)),
            ("cpu", "backend CPU per acknowledged request (all its threads, work deferred past "
             "the 202 included)", "ms", None),
        ]  # fmt: skip
        for key, text, unit, goal in figures:
            rows.append(row(f"{what}: {text}", round(ours[key], 3), round(anchor[key], 3), unit,
                            goal, COMMAND))  # fmt: skip
        rows.append(row(f"{what}: fsyncs per acknowledged batch (group commit; the anchor "
                        "acknowledged before any fsync)", round(ours["fsyncs_per_batch"], 3),
                        None, "fsyncs/batch", None, COMMAND))  # fmt: skip
    return rows


if __name__ == "__main__":
    for line in run():
        print(json.dumps(line, default=str))
    sys.exit(0)
