"""check-port --json on a busy port, whole process, against `lsof -nP -iTCP:PORT -sTCP:LISTEN`.

Ours runs with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from its environment), as
after any install: an interpreter that recompiles every module on each start measures the
compiler, not the tool. The warm-up runs write the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks._timing import at_most_x, interleaved_medians, row

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


def run(runs: int = RUNS) -> list[dict[str, object]]:
    """Interleave ours and the anchor `runs` times each; medians in milliseconds."""
    lsof = shutil.which("lsof")  # missing: ours is still measured, the row says so
    holder = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        script = str(REPO / "scripts" / "test_backend_port_binding.py")
        ours_cmd = [sys.executable, script, "--port", str(port), "--json"]
        commands = {"ours": ours_cmd}
        if lsof:
            commands["anchor"] = [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # 3 warm-ups: the page cache for both, our bytecode cache; ours exits 1 (port busy)
        medians = interleaved_medians(commands, runs, warmup=3, ok=(0, 1), env=env, timeout=TIMEOUT)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    ours_ms = medians["ours"] * 1000
    anchor_ms = round(medians["anchor"] * 1000, 1) if "anchor" in medians else None
    return [
        row(
            f"check-port --json on a busy port (whole process, median of {runs})",
            round(ours_ms, 1),
            anchor_ms,
            "ms",
            at_most_x(GOAL_RATIO, f"<= {GOAL_RATIO}x lsof -nP -iTCP:PORT -sTCP:LISTEN"),
            "python scripts/test_backend_port_binding.py --port P --json",
            anchor_missing="" if lsof else "lsof (apt-get install lsof)",
        )
    ]


if __name__ == "__main__":
    for measured in run():
        print(measured)
