"""check-port --json on a busy port, whole process, against `lsof -nP -iTCP:PORT -sTCP:LISTEN`,
with `ss -Htlnp` timed in the same interleaved rounds.

Ours runs with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from its environment), as
after any install: an interpreter that recompiles every module on each start measures the
compiler, not the tool. The warm-up rounds write the cache. The row says which install ran: the
checkout itself (`pip install -e .`, the README's) or a built package in site-packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._timing import interleaved_medians, row

REPO = Path(__file__).resolve().parents[1]
RUNS = 30
GOAL_RATIO = 1.5
TIMEOUT = 30
LISTENER = (
    "import socket, time\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
    "print(s.getsockname()[1], flush=True)\n"
    "time.sleep(600)\n"
)


def _runner(argv: list[str], env: dict[str, str] | None = None) -> Callable[[], float]:
    """Seconds one whole run of `argv` takes (its exit code is ignored: busy means exit 1)."""

    def measure() -> float:
        start = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT,
            check=False, env=env,
        )  # fmt: skip
        return time.perf_counter() - start

    return measure


def _install_kind() -> str:
    """Which netra_devtools the script imports: the checkout (editable) or a built package."""
    done = subprocess.run(
        [sys.executable, "-c", "import netra_devtools; print(netra_devtools.__file__)"],
        capture_output=True, text=True, timeout=TIMEOUT, check=True, cwd="/",
    )  # fmt: skip
    inside = Path(done.stdout.strip()).resolve().is_relative_to(REPO)
    return "editable install" if inside else "non-editable install"


def run(runs: int = RUNS) -> list[dict[str, object]]:
    """Interleave ours, lsof and ss `runs` times each; medians in milliseconds."""
    lsof, ss = shutil.which("lsof"), shutil.which("ss")
    if lsof is None or ss is None:
        raise SystemExit("lsof or ss is missing: apt-get install -y lsof iproute2")
    holder = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        script = str(REPO / "scripts" / "test_backend_port_binding.py")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        medians = interleaved_medians(
            {
                "ours": _runner([sys.executable, script, "--port", str(port), "--json"], env),
                "lsof": _runner([lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]),
                "ss": _runner([ss, "-Htlnp", f"sport = :{port}"]),
            },
            rounds=runs,
            warmup=3,  # the page cache for all three, and our bytecode cache
        )
    finally:
        holder.kill()
        holder.wait(timeout=10)
    ours, anchor, ss_ms = (medians[k] * 1000 for k in ("ours", "lsof", "ss"))
    return [
        row(
            f"check-port --json on a busy port ({_install_kind()}; whole process, median of "
            f"{runs}; ss -Htlnp in the same rounds: {ss_ms:.1f} ms)",
            round(ours, 1),
            round(anchor, 1),
            "ms",
            f"<= {GOAL_RATIO}x lsof -nP -iTCP:PORT -sTCP:LISTEN",
            ours <= GOAL_RATIO * anchor,
            "python scripts/test_backend_port_binding.py --port P --json",
        )
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
