"""Migration timings on a throwaway cluster: rerun and repair at head vs `alembic current`, 8 at once.

$ python -m benchmarks.bench_migrations
{"measurement": "alembic upgrade head, already at head", "ours": 0.71, "anchor": 0.70, ...}
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks._timing import Goal, at_most_x, equal, row

REPO_ROOT = Path(__file__).resolve().parents[1]
ALEMBIC = [sys.executable, "-m", "alembic", "-c", str(REPO_ROOT / "alembic.ini")]
REPAIR = [sys.executable, "-m", "netra_devtools.migrate", "--repair"]
REPEATS = 7
RUNNERS = 8


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url}


def _timed(url: str, *args: str, command: tuple[str, ...] = tuple(ALEMBIC)) -> float:
    """Wall time of one `alembic ARGS` (or `command ARGS`) process; fails loudly if it fails."""
    started = time.perf_counter()
    subprocess.run(
        [*command, *args],
        cwd=REPO_ROOT,
        env=_env(url),
        capture_output=True,
        timeout=120,
        check=True,
    )
    return time.perf_counter() - started


def _eight_at_once(url: str, *args: str) -> tuple[float, bool]:
    """Wall time until RUNNERS concurrent `alembic ARGS` finish, and whether all exited 0."""
    started = time.perf_counter()
    runners = [
        subprocess.Popen(
            [*ALEMBIC, *args],
            cwd=REPO_ROOT,
            env=_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(RUNNERS)
    ]
    codes = [runner.wait(timeout=120) for runner in runners]
    return time.perf_counter() - started, codes == [0] * RUNNERS


def _row(measurement: str, ours: float, anchor: float, goal: Goal | None, command: str) -> Any:
    return row(measurement, round(ours, 3), round(anchor, 3), "s", goal, command)


def run() -> list[dict[str, Any]]:
    """Measure on a throwaway PostgreSQL cluster and return the benchmark rows."""
    from netra_devtools.migrate.runner import current_version
    from netra_devtools.services.postgres import start_throwaway

    cluster = start_throwaway()
    try:

        def fresh() -> str:
            return cluster.create_database(f"b_{uuid.uuid4().hex[:10]}")

        at_head = fresh()
        _timed(at_head, "upgrade", "head")
        current, rerun, repair = [], [], []
        for _ in range(REPEATS):  # interleaved, so drift in machine load hits all alike
            current.append(_timed(at_head, "current"))
            rerun.append(_timed(at_head, "upgrade", "head"))
            repair.append(_timed(at_head, command=tuple(REPAIR)))
        clean = [_timed(fresh(), "upgrade", "head") for _ in range(5)]
        eight, eight_current, all_ok = [], [], 0
        for _ in range(3):
            url = fresh()
            elapsed, ok = _eight_at_once(url, "upgrade", "head")
            eight.append(elapsed)
            all_ok += ok and current_version(url) != "base"
            eight_current.append(_eight_at_once(url, "current")[0])
    finally:
        cluster.destroy()
    med = statistics.median
    return [
        _row(
            "alembic upgrade head, already at head (anchor: alembic current, same DB)",
            med(rerun),
            med(current),
            at_most_x(1.5),
            "DATABASE_URL=... alembic upgrade head  vs  alembic current",
        ),
        _row(
            "invoke migrate --repair at head, nothing to repair (anchor: alembic current, same DB)",
            med(repair),
            med(current),
            at_most_x(1.5),
            "DATABASE_URL=... python -m netra_devtools.migrate --repair",
        ),
        _row(
            "clean upgrade, empty DB -> head (anchor: alembic current)",
            med(clean),
            med(current),
            None,
            "DATABASE_URL=<empty db> alembic upgrade head",
        ),
        _row(
            f"{RUNNERS} processes upgrade head at once on an empty DB"
            f" (anchor: {RUNNERS} x alembic current at once)",
            med(eight),
            med(eight_current),
            None,
            f"{RUNNERS} x `alembic upgrade head` started together",
        ),
        row(
            f"rounds in which all {RUNNERS} runners exited 0 and the DB reached head",
            all_ok,
            3,
            "rounds",
            equal("all of them"),
            f"{RUNNERS} x `alembic upgrade head` started together",
        ),
    ]


if __name__ == "__main__":
    for measured in run():
        print(json.dumps(measured, default=str))
