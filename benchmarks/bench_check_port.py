"""check-port --json on a busy port, whole process, against `lsof -nP -iTCP:PORT -sTCP:LISTEN`.

Ours runs with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from its environment), as
after any install: an interpreter that recompiles every module on each start measures the
compiler, not the tool. The warm-up runs write the cache.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def _time(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT, check=False,
        env=env,
    )  # fmt: skip
    return time.perf_counter() - start


def run(runs: int = RUNS) -> list[dict[str, object]]:
    """Interleave ours and the anchor `runs` times each; medians in milliseconds."""
    lsof = shutil.which("lsof")
    if lsof is None:
        raise SystemExit("lsof is missing: apt-get install -y lsof")
    holder = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        script = str(REPO / "scripts" / "test_backend_port_binding.py")
        ours_cmd = [sys.executable, script, "--port", str(port), "--json"]
        anchor_cmd = [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for _ in range(3):  # warm the page cache for both, and write our bytecode cache
            _time(ours_cmd, env), _time(anchor_cmd)
        ours, anchor = [], []
        for _ in range(runs):
            ours.append(_time(ours_cmd, env))
            anchor.append(_time(anchor_cmd))
    finally:
        holder.kill()
        holder.wait(timeout=10)
    ours_ms = statistics.median(ours) * 1000
    anchor_ms = statistics.median(anchor) * 1000
    return [
        {
            "measurement": f"check-port --json on a busy port (whole process, median of {runs})",
            "ours": round(ours_ms, 1),
            "anchor": round(anchor_ms, 1),
            "unit": "ms",
            "goal": f"<= {GOAL_RATIO}x lsof -nP -iTCP:PORT -sTCP:LISTEN",
            "met": ours_ms <= GOAL_RATIO * anchor_ms,
            "command": "python scripts/test_backend_port_binding.py --port P --json",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
