"""Run every benchmarks/bench_*.py and write docs/benchmarks.md (`nox -s bench`).

python -m benchmarks                 # all of them
python -m benchmarks bench_replay    # only the named modules
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
OUTPUT = HERE.parent / "docs" / "benchmarks.md"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def _ratio(row: dict[str, object]) -> str:
    ours, anchor = row.get("ours"), row.get("anchor")
    if isinstance(ours, int | float) and isinstance(anchor, int | float) and anchor:
        return f"{ours / anchor:.2f}x"
    return "—"


def collect(names: list[str]) -> list[dict[str, object]]:
    """Import and run each benchmark module; a crash becomes a row that says so."""
    rows: list[dict[str, object]] = []
    for name in names:
        print(f"== {name}", flush=True)
        start = time.monotonic()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            result = module.run()
        except Exception as exc:
            traceback.print_exc()
            result = [
                {
                    "measurement": f"{name} (crashed: {type(exc).__name__}: {exc})",
                    "ours": None,
                    "anchor": None,
                    "unit": "",
                    "goal": "runs",
                    "met": False,
                    "command": f"python -m benchmarks {name}",
                }
            ]
        for row in result:
            print("   ", {k: _fmt(v) for k, v in row.items()}, flush=True)
        print(f"   ({time.monotonic() - start:.1f}s)", flush=True)
        rows.extend(result)
    return rows


def render(rows: list[dict[str, object]]) -> str:
    """docs/benchmarks.md: one table, ours beside the anchor measured in the same run."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `nox -s bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        "2 cores. Medians of interleaved rounds; ours and the anchor come from the same run. "
        "A missed goal is reported here, not failed: the machines are shared and noisy.",
        "",
        "| measurement | ours | anchor | unit | ratio | goal | met | reproduce |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = "yes" if row.get("met") else "**no**"
        lines.append(
            f"| {row['measurement']} | {_fmt(row.get('ours'))} | {_fmt(row.get('anchor'))} | "
            f"{row.get('unit', '')} | {_ratio(row)} | {row.get('goal', '')} | {met} | "
            f"`{row.get('command', '')}` |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in argv (default: all) and write docs/benchmarks.md."""
    names = list(argv if argv is not None else sys.argv[1:])
    names = names or sorted(p.stem for p in HERE.glob("bench_*.py"))
    rows = collect(names)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(rows), encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
