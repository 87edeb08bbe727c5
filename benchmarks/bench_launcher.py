"""Launcher benchmarks: each CLI doing a small piece of real work, and local mode to ready.

The CLI rows time whole processes against bare `python -c pass`: `invoke --list` (the tasks made
from the parsers), check-port on a busy port, fix-port on a free one (diagnosis and plan), a
scan of a small log, and `down` with nothing recorded. The scripts start the way people run
them, so the figure is what a person waits for.

Run alone: `python -m benchmarks.bench_launcher` prints the rows.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._timing import at_most, interleaved_medians, row, timed, within

REPO = Path(__file__).resolve().parents[1]
CLI_GOAL_MS = 300.0
WARM_GOAL_S = 15.0
CLI_ROUNDS = 9
STACK_ROUNDS = 3


def _cli_commands(busy: str, free: str, log: str) -> dict[str, list[str]]:
    """What each CLI row runs (each does real work and exits 0, or 1 for a problem found)."""
    py = sys.executable
    return {
        "invoke --list": [py, "-m", "invoke", "--list"],
        "check-port on a busy port": [py, "scripts/test_backend_port_binding.py", "--port",
                                      busy, "--json"],
        "fix-port on a free port (diagnose, plan)": [py, "scripts/fix_port_8000_windows.py",
                                                     "--port", free, "--json"],
        "introspect a 2-line log": [py, "scripts/docker_log_introspection_windows.py", "--file",
                                    log, "--json"],
        "down, nothing recorded": [py, "scripts/dev_launcher.py", "down"],
    }  # fmt: skip


def cli_rows() -> list[dict[str, Any]]:
    """Each CLI doing real work, whole process, against `python -c pass` in the same rounds."""
    work = Path(tempfile.mkdtemp(prefix="netra-bench-cli-"))
    log = work / "app.log"
    log.write_text("starting\nOSError: [Errno 98] Address already in use\n", encoding="utf-8")
    env = {**os.environ, "NETRA_STATE_DIR": str(work / "state")}
    rows = []
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        commands = _cli_commands(str(holder.getsockname()[1]), str(_free()), str(log))
        shown = _cli_commands("BUSY_PORT", "FREE_PORT", "app.log")
        try:
            for name, command in commands.items():
                pair = {"ours": command, "anchor": [sys.executable, "-c", "pass"]}
                medians = interleaved_medians(pair, CLI_ROUNDS, ok=(0, 1), env=env, cwd=REPO)
                rows.append(row(
                    f"{name} (whole process; anchor: python -c pass)",
                    round(medians["ours"] * 1000, 1), round(medians["anchor"] * 1000, 1), "ms",
                    within(CLI_GOAL_MS, "ms"), " ".join(["python", *shown[name][1:]]),
                ))  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def _up_then_down(root: Path) -> float:
    """Seconds from `invoke dev --mode local --detach` to ready (the command returns then)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DATABASE_URL")}
    env["NETRA_STATE_DIR"] = str(root)
    invoke = [sys.executable, "-m", "invoke"]
    up = [*invoke, "dev", "--mode", "local", "--detach", "--port", str(_free())]
    try:
        return timed(up + ["--postgres-port", str(_free())], env=env, cwd=REPO, timeout=300)
    finally:
        subprocess.run([*invoke, "down"], cwd=REPO, env=env, capture_output=True, timeout=120)


def _free() -> int:
    from netra_devtools.services.postgres import free_port

    return free_port()


def _bare_postgres(root: Path) -> float:
    """The anchor: starting the same persistent PostgreSQL directly, no launcher around it."""
    from netra_devtools.services import postgres

    started = time.perf_counter()
    cluster = postgres.open_persistent(root, port=_free())
    elapsed = time.perf_counter() - started
    cluster.stop()
    return elapsed


def stack_rows() -> list[dict[str, Any]]:
    """Local mode to ready, cold (fresh .netra/) and warm (data reused), vs bare PostgreSQL."""
    analytics = importlib.util.find_spec("chdb") is not None
    what = "local mode to ready (PostgreSQL, migrations, backend" + (
        ", embedded ClickHouse)" if analytics else "; analytics disabled: no chdb)"
    )
    results: dict[str, tuple[list[float], list[float]]] = {"cold": ([], []), "warm": ([], [])}
    for _ in range(STACK_ROUNDS):
        work = Path(tempfile.mkdtemp(prefix="netra-bench-"))
        work.chmod(0o755)  # the unprivileged PostgreSQL user must reach it (see the tests)
        try:
            results["cold"][0].append(_up_then_down(work / "launcher"))
            results["cold"][1].append(_bare_postgres(work / "bare"))
            results["warm"][0].append(_up_then_down(work / "launcher"))
            results["warm"][1].append(_bare_postgres(work / "bare"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rows = []
    for kind, (ours, anchor) in results.items():
        rows.append(row(
            f"{what}, {kind}, vs starting its PostgreSQL directly",
            round(statistics.median(ours), 2), round(statistics.median(anchor), 2), "s",
            at_most(WARM_GOAL_S, "s") if kind == "warm" else None,  # cold: recorded
            "invoke dev --mode local --detach; invoke down",
        ))  # fmt: skip
    return rows


def run() -> list[dict[str, Any]]:
    """Every launcher measurement as benchmark rows."""
    return cli_rows() + stack_rows()


if __name__ == "__main__":
    for measured in run():
        print(json.dumps(measured, default=str))
