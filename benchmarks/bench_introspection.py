"""Introspection vs ripgrep and GNU grep on a compose log; peak memory on 1 GB; --follow latency.

Generates a compose-style log (service prefixes, RFC 3339 timestamps, 0.1 % error lines taken
from the catalog's examples) in a temp dir and times, whole process and interleaved, in the
same run: our CLI (`--file LOG --json`, both engines), ripgrep with the catalog's own patterns
(the same job; Rust's regex syntax reads RE2's), ripgrep -F with the distinct error lines of
the log (the issue's anchor), and GNU grep -E with the patterns exported as ERE. A missing
anchor is reported on its row. Sizes: NETRA_BENCH_INTROSPECTION_MB (200) and
NETRA_BENCH_INTROSPECTION_BIG_MB (1000, the memory row).

    python -m benchmarks bench_introspection     # rows into docs/benchmarks.md
    python -m benchmarks.bench_introspection     # rows on stdout
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
from collections.abc import Sequence
from pathlib import Path

from benchmarks._timing import Goal, at_least_x, at_most, equal, row

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "docker_log_introspection_windows.py"
REPEATS = 5
ERROR_EVERY = 1000  # 0.1 % error lines
FOLLOW_SAMPLES = 30
COMMAND = "python -m benchmarks bench_introspection"
_NOISE = [
    'backend-1     | {ts} INFO:     172.18.0.1:{port} - "GET /api/threads/{n} HTTP/1.1" 200 OK',
    "postgres-1    | {ts} LOG:  checkpoint complete: wrote {n} buffers (0.{port}%); 0 WAL file(s) added",
    "clickhouse-1  | {ts} <Information> executeQuery: Read {n} rows, {port} KiB in 0.00{n} sec.",
    "backend-1     | {ts} DEBUG    sqlalchemy.engine.Engine SELECT userbase.id FROM userbase WHERE userbase.id = %(pk_{n})s",
    "frontend-1    | {ts} [vite] hmr update /src/components/Thread{n}.tsx (x{port})",
]


def _examples() -> list[str]:
    from netra_devtools.learnings import SPEC_DIR, load_catalog

    return [ex for sig in load_catalog(SPEC_DIR).signatures for ex in sig.examples]


def _patterns() -> list[str]:
    from netra_devtools.learnings import SPEC_DIR, load_catalog

    return [sig.pattern for sig in load_catalog(SPEC_DIR).signatures]


def write_log(path: Path, size_mb: float) -> int:
    """Write a compose log of about size_mb MB; returns the number of error lines written."""
    errors = _examples()
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


def _timed(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of one whole process and its stdout (a file: grep stops early on /dev/null)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        subprocess.run(
            argv, stdout=out, stderr=subprocess.DEVNULL, timeout=1800, env=env, check=False
        )
        seconds = time.perf_counter() - start
        out.seek(0)
        return seconds, out.read().decode("utf-8", "replace")


def _ours(log: Path, engine: str) -> tuple[float, int]:
    env = {**os.environ, "NETRA_INTROSPECT_ENGINE": engine}
    seconds, out = _timed([sys.executable, str(SCRIPT), "--file", str(log), "--json"], env)
    return seconds, int(json.loads(out)["summary"]["findings"])


def _count(argv: Sequence[str]) -> tuple[float, int]:
    seconds, out = _timed(argv, {**os.environ, "LC_ALL": "C"})
    return seconds, int(out.strip() or 0)


def scan_memory(path: str) -> dict[str, float]:
    """Run the CLI in this process on `path`; peak and anonymous memory from /proc (Linux)."""
    import contextlib

    from netra_devtools.learnings.cli import main

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        main(["introspect", "--file", path, "--json"])
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "RssAnon")}


def follow_latency(argv: Sequence[str], line: bytes, expect: bytes) -> list[float]:
    """Seconds from writing `line` to a following process's stdin to reading `expect` back."""
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0
    )
    assert process.stdin is not None and process.stdout is not None
    samples = []
    try:
        process.stdin.write(line)  # warm-up: the first finding includes start-up
        process.stdout.readline()
        for _ in range(FOLLOW_SAMPLES):
            start = time.perf_counter()
            process.stdin.write(line)
            reply = process.stdout.readline()
            samples.append(time.perf_counter() - start)
            assert expect in reply, reply
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait(10)
    return samples


def _row(
    measurement: str,
    ours: float | None,
    anchor: float | None,
    unit: str,
    goal: Goal,
    anchor_missing: str = "",
) -> dict[str, object]:
    return row(measurement, ours, anchor, unit, goal, COMMAND, anchor_missing=anchor_missing)


def _throughput_rows(tmp: Path) -> list[dict[str, object]]:
    size_mb = float(os.environ.get("NETRA_BENCH_INTROSPECTION_MB", "200"))
    log, patterns, literals, ere = (tmp / n for n in ("big.log", "re2.txt", "lines.txt", "ere.txt"))
    write_log(log, size_mb)
    from netra_devtools.learnings.ere import export_patterns

    patterns.write_text("".join(p + "\n" for p in _patterns()), "utf-8")
    literals.write_text("".join(sorted({e + "\n" for e in _examples()})), "utf-8")
    ere.write_text(export_patterns(_patterns()), "utf-8")
    rg, grep = shutil.which("rg"), shutil.which("grep")
    runs: dict[str, list[tuple[float, int]]] = {k: [] for k in ("hs", "re2", "rg", "rgF", "grep")}
    for _ in range(REPEATS):  # interleaved, so load changes hit every command alike
        runs["hs"].append(_ours(log, "hyperscan"))
        runs["re2"].append(_ours(log, "re2"))
        if rg:
            runs["rg"].append(_count([rg, "-c", "-f", str(patterns), str(log)]))
            runs["rgF"].append(_count([rg, "-c", "-F", "-f", str(literals), str(log)]))
        if grep:
            runs["grep"].append(_count([grep, "-E", "-c", "-f", str(ere), str(log)]))
    mb = log.stat().st_size / 1e6

    def rate(key: str) -> float | None:
        return round(mb / statistics.median(s for s, _ in runs[key]), 1) if runs[key] else None

    hs, re2_rate = rate("hs"), rate("re2")
    rows = []
    for label, key, anchor_name in (
        ("ripgrep -c -f <the catalog's patterns> (same job)", "rg", "ripgrep"),
        (
            "ripgrep -F -c -f <the log's distinct error lines> (the issue's anchor)",
            "rgF",
            "ripgrep",
        ),
        ("GNU grep -E -c -f <patterns as ERE>, LC_ALL=C", "grep", "GNU grep"),
    ):
        anchor = rate(key)
        missing = "" if anchor else anchor_name
        for engine, ours in (("hyperscan", hs), ("re2", re2_rate)):
            if key != "rg" and engine == "re2":
                continue
            rows.append(
                _row(
                    f"introspect --json, {engine} engine, whole process, {mb:.0f} MB compose log, 0.1 % errors, vs {label}",
                    ours,
                    anchor,
                    "MB/s, median of 5 interleaved (wall time of each whole process)",
                    at_least_x(0.5),
                    missing,
                )
            )
    found, counted = runs["hs"][0][1], (runs["rg"][0][1] if runs["rg"] else None)
    rows.append(
        _row(
            "lines with a finding (ours, hyperscan) vs lines ripgrep counts with the catalog's patterns",
            found,
            counted,
            "lines",
            equal(),
            "" if counted is not None else "ripgrep",
        )
    )
    return rows


def _memory_rows(tmp: Path) -> list[dict[str, object]]:
    big_mb = float(os.environ.get("NETRA_BENCH_INTROSPECTION_BIG_MB", "1000"))
    if not Path("/proc/self/status").exists():
        return [_row("peak memory (needs /proc)", None, None, "MiB", at_most(64, "MiB"))]
    log = tmp / "huge.log"
    write_log(log, big_mb)
    mb = log.stat().st_size / 1e6
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_introspection", "--memory", str(log)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
        cwd=REPO,
    )
    log.unlink()
    memory = json.loads(out.stdout)
    what = f"introspect --json on a {mb:.0f} MB log"
    return [
        _row(
            f"peak resident memory (VmHWM) of {what}; the log is read, not mapped, so this bounds "
            "the anonymous peak",
            round(memory["VmHWM"], 1),
            None,
            "MiB",
            at_most(64, "MiB"),
        ),
        _row(
            f"anonymous memory (RssAnon) at the end of {what}",
            round(memory["RssAnon"], 1),
            None,
            "MiB",
            at_most(64, "MiB"),
        ),
    ]


def _follow_row() -> dict[str, object]:
    line = b'psycopg2.OperationalError: FATAL:  password authentication failed for user "app"\n'
    ours = follow_latency(
        [sys.executable, str(SCRIPT), "--file", "-", "--follow", "--json"],
        line,
        b"postgres-auth-failed",
    )
    rg = shutil.which("rg")
    anchor = (
        follow_latency([rg, "--line-buffered", "password authentication failed"], line, b"password")
        if rg
        else []
    )
    return _row(
        f"--follow latency, line written to stdin -> finding read (the slowest of {FOLLOW_SAMPLES}; "
        f"median {statistics.median(ours) * 1000:.2f} ms) vs rg --line-buffered (its slowest)",
        round(max(ours) * 1000, 2),
        round(max(anchor) * 1000, 2) if anchor else None,
        "ms",
        at_most(100, "ms", "< 100 ms, the slowest sample"),
        "" if rg else "ripgrep",
    )


def run() -> list[dict[str, object]]:
    """Rows for docs/benchmarks.md: throughput vs ripgrep and grep, memory on 1 GB, follow latency."""
    with tempfile.TemporaryDirectory(prefix="netra-bench-") as tmp:
        rows = _throughput_rows(Path(tmp))
        rows += _memory_rows(Path(tmp))
    rows.append(_follow_row())
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        print(json.dumps(scan_memory(sys.argv[2])))
    else:
        for each in run():
            print(json.dumps(each))
