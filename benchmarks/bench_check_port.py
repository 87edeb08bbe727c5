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
    lsof, ss = shutil.which("lsof"), shutil.which("ss")  # missing: ours is still measured
    holder = subprocess.Popen([sys.executable, "-c", LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        port = int(holder.stdout.readline())
        script = str(REPO / "scripts" / "test_backend_port_binding.py")
        ours_cmd = [sys.executable, script, "--port", str(port), "--json"]
        commands = {"ours": ours_cmd}
        if lsof:
            commands["lsof"] = [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"]
        if ss:
            commands["ss"] = [ss, "-Htlnp", f"sport = :{port}"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # 3 warm-ups: the page cache for both, our bytecode cache; ours exits 1 (port busy)
        medians = interleaved_medians(commands, runs, warmup=3, ok=(0, 1), env=env, timeout=TIMEOUT)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    ours_ms = round(medians["ours"] * 1000, 1)
    what = f"check-port --json on a busy port ({_install_kind()}; whole process, median of {runs})"
    command = "python scripts/test_backend_port_binding.py --port P --json"

    def anchor(name: str) -> float | None:
        return round(medians[name] * 1000, 1) if name in medians else None

    return [
        row(
            what,
            ours_ms,
            anchor("lsof"),
            "ms",
            at_most_x(GOAL_RATIO, f"<= {GOAL_RATIO}x lsof -nP -iTCP:PORT -sTCP:LISTEN"),
            command,
            anchor_missing="" if lsof else "lsof (apt-get install lsof)",
        ),
        row(
            f"{what}, against ss -Htlnp in the same rounds",
            ours_ms,
            anchor("ss"),
            "ms",
            None,
            command,
            anchor_missing="" if ss else "ss (apt-get install iproute2)",
        ),
    ]


if __name__ == "__main__":
    for measured in run():
        print(measured)
