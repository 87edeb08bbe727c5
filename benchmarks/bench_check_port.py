"""check-port --json on a busy port, whole process, against `lsof -nP -iTCP:PORT -sTCP:LISTEN`."""

from __future__ import annotations

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


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT, check=False
    )
    return time.perf_counter() - start


def _busy_port() -> tuple[subprocess.Popen[bytes], int]:
    """A child process listening on an ephemeral port (the holder to be found)."""
    code = (
        "import socket,sys,time\n"
        "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n"
        "print(s.getsockname()[1], flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None
    return child, int(child.stdout.readline())


def run(runs: int = RUNS) -> list[dict[str, object]]:
    """Interleave ours and the anchor `runs` times each; medians in milliseconds."""
    lsof = shutil.which("lsof")
    if lsof is None:
        raise SystemExit("lsof is missing: apt-get install -y lsof")
    child, port = _busy_port()
    try:
        ours_cmd = [sys.executable, str(REPO / "scripts" / "test_backend_port_binding.py"),
                    "--port", str(port), "--json"]  # fmt: skip
        anchor_cmd = [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]
        for _ in range(3):  # warm the page cache for both
            _time(ours_cmd), _time(anchor_cmd)
        ours, anchor = [], []
        for _ in range(runs):
            ours.append(_time(ours_cmd))
            anchor.append(_time(anchor_cmd))
    finally:
        child.kill()
        child.wait(timeout=10)
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
