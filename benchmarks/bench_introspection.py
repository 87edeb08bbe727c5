"""Introspection throughput vs GNU `grep -E -c -f` on a compose log, and flat peak memory.

Generates a compose-style log (service prefixes, RFC 3339 timestamps, 0.1 % error lines taken
from the catalog's examples) in a temp dir, exports the catalog's signatures as ERE for grep,
and times both on the same file in the same run (medians). Peak RSS of the scanner is measured
at two file sizes in fresh processes. Size: NETRA_BENCH_INTROSPECTION_MB (default 200).

    python -m benchmarks.bench_introspection
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

from benchmarks._timing import at_least_x, equal, peak_memory_bytes, within
from netra_devtools.learnings.model import Catalog

REPEATS = 5
ERROR_EVERY = 1000  # 0.1 % error lines
_NOISE = [
    'backend-1     | {ts} INFO:     172.18.0.1:{port} - "GET /api/threads/{n} HTTP/1.1" 200 OK',
    "postgres-1    | {ts} LOG:  checkpoint complete: wrote {n} buffers (0.{port}%); 0 WAL file(s) added",
    "clickhouse-1  | {ts} <Information> executeQuery: Read {n} rows, {port} KiB in 0.00{n} sec.",
    "backend-1     | {ts} DEBUG    sqlalchemy.engine.Engine SELECT userbase.id FROM userbase WHERE userbase.id = %(pk_{n})s",
    "frontend-1    | {ts} [vite] hmr update /src/components/Thread{n}.tsx (x{port})",
]


def _catalog() -> Catalog:
    from netra_devtools.learnings import SPEC_DIR, load_catalog

    return load_catalog(SPEC_DIR)


def write_log(path: Path, size_mb: float) -> int:
    """Write a compose log of about size_mb MB; returns the number of error lines written."""
    errors = [ex for sig in _catalog().signatures for ex in sig.examples]
    lines = []
    for i in range(100 * ERROR_EVERY):
        ts = f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i:09d}Z"
        if i % ERROR_EVERY == ERROR_EVERY - 1:
            lines.append(f"backend-1     | {ts} {errors[(i // ERROR_EVERY) % len(errors)]}")
        else:
            lines.append(_NOISE[i % len(_NOISE)].format(ts=ts, n=i % 977, port=30000 + i % 9000))
    block = ("\n".join(lines) + "\n").encode()
    copies = max(1, round(size_mb * 1e6 / len(block)))
    with path.open("wb") as out:
        for _ in range(copies):
            out.write(block)
    return copies * 100


def scan_file(path: str) -> dict[str, float]:
    """Count lines with a finding (like grep -c) and report peak RSS; runs in a fresh process."""
    from netra_devtools.learnings.lines import iter_buffer_blocks
    from netra_devtools.learnings.matcher import Matcher

    matcher = Matcher(_catalog().signatures)
    start = time.perf_counter()
    with open(path, "rb") as handle:
        scan = matcher.scan(iter_buffer_blocks(handle))
        hits = sum(1 for _ in scan)
    seconds = time.perf_counter() - start
    peak = peak_memory_bytes()  # VmHWM: the whole process, interpreter and catalog included
    return {"hits": hits, "lines": scan.lines, "seconds": seconds, "peak_rss": peak}


def _ours(path: Path) -> dict[str, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_introspection", "--scan", str(path)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, float] = json.loads(out.stdout)
    result["wall"] = time.perf_counter() - start
    return result


def _grep(path: Path, patterns: Path) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(
        ["grep", "-E", "-c", "-f", str(patterns), str(path)],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "LC_ALL": "C"},
    )
    return time.perf_counter() - start, int(out.stdout.strip() or 0)


def run() -> list[dict[str, object]]:
    """Rows for docs/benchmarks.md: throughput vs grep, match-count equality, flat peak RSS."""
    from netra_devtools.learnings.ere import export_patterns

    size_mb = float(os.environ.get("NETRA_BENCH_INTROSPECTION_MB", "200"))
    if shutil.which("grep") is None:
        raise RuntimeError("GNU grep is needed as the anchor")
    with tempfile.TemporaryDirectory(prefix="netra-bench-") as tmp:
        big, small, patterns = Path(tmp, "big.log"), Path(tmp, "small.log"), Path(tmp, "patterns")
        write_log(big, size_mb)
        write_log(small, size_mb / 4)
        patterns.write_text(export_patterns(s.pattern for s in _catalog().signatures))
        megabytes = big.stat().st_size / 1e6
        ours_runs, grep_runs = [], []
        for _ in range(REPEATS):  # interleaved, so load changes hit both alike
            ours_runs.append(_ours(big))
            grep_runs.append(_grep(big, patterns))
        small_run = _ours(small)
    ours_s = statistics.median(r["seconds"] for r in ours_runs)
    grep_s = statistics.median(s for s, _ in grep_runs)
    ours_rate, grep_rate = megabytes / ours_s, megabytes / grep_s
    wall_rate = megabytes / statistics.median(r["wall"] for r in ours_runs)
    rss_big = statistics.median(r["peak_rss"] for r in ours_runs) / 2**20
    rss_small = small_run["peak_rss"] / 2**20
    command = "python -m benchmarks.bench_introspection"
    return [
        {
            "measurement": f"introspection throughput, {megabytes:.0f} MB compose log, 0.1 % errors",
            "ours": round(ours_rate, 1),
            "anchor": round(grep_rate, 1),
            "unit": "MB/s, median of 5 interleaved (ours: scan time in-process; anchor: LC_ALL=C grep -E -c -f, wall)",
            "goal": at_least_x(0.5),
            "command": command,
        },
        {
            "measurement": "same, end to end: whole process incl. Python start-up and catalog load",
            "ours": round(wall_rate, 1),
            "anchor": round(grep_rate, 1),
            "unit": "MB/s, median of 5 interleaved (both: process wall time)",
            "goal": at_least_x(0.5),
            "command": command,
        },
        {
            "measurement": "lines with a finding (ours) vs lines grep counts",
            "ours": int(ours_runs[0]["hits"]),
            "anchor": grep_runs[0][1],
            "unit": "lines",
            "goal": equal(),
            "command": command,
        },
        {
            "measurement": f"peak RSS scanning {megabytes:.0f} MB (ours) vs {megabytes / 4:.0f} MB (anchor)",
            "ours": round(rss_big, 1),
            "anchor": round(rss_small, 1),
            "unit": "MiB",
            "goal": within(16, "MiB", "flat: ours <= anchor + 16 MiB"),
            "command": command,
        },
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scan"]:
        print(json.dumps(scan_file(sys.argv[2])))
    else:
        for row in run():
            print(json.dumps(row, default=str))
