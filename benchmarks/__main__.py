"""Run the benchmarks/bench_*.py modules and write docs/benchmarks.md (`nox -s bench`).

python -m benchmarks                 # all of them: the file is rewritten from this run
python -m benchmarks bench_replay    # only these: their rows replaced, the others kept
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks._report import machine, render, render_row
from benchmarks._timing import row

HERE = Path(__file__).parent
OUTPUT = HERE.parent / "docs" / "benchmarks.md"


def available() -> list[str]:
    """Every benchmark module's name (bench_*.py)."""
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def run_one(name: str) -> list[dict[str, Any]]:
    """Import and run one benchmark module; a crash becomes a row that says so."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        rows: list[dict[str, Any]] = list(module.run())
    except Exception as exc:
        traceback.print_exc()
        crashed = f"{name} (crashed: {type(exc).__name__}: {exc})"
        rows = [row(crashed, None, None, "", None, f"python -m benchmarks {name}")]
    return [{**r, "benchmark": name} for r in rows]


def collect(names: list[str]) -> list[dict[str, Any]]:
    """Run each named benchmark in turn, printing its rows as they come."""
    rows: list[dict[str, Any]] = []
    for name in names:
        print(f"== {name}", flush=True)
        start = time.monotonic()
        result = run_one(name)
        for r in result:
            print("   ", render_row(r, "this run"), flush=True)
        print(f"   ({time.monotonic() - start:.1f}s)", flush=True)
        rows.extend(result)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in argv (default: all) and write docs/benchmarks.md."""
    names = list(argv if argv is not None else sys.argv[1:])
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"error: no such benchmark: {', '.join(unknown)}", file=sys.stderr)
        return 2
    facts = machine()  # before the run: the commit measured, not one made meanwhile
    rows = collect(names or available())
    previous = OUTPUT.read_text(encoding="utf-8") if names and OUTPUT.exists() else ""
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(rows, facts, previous), encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
