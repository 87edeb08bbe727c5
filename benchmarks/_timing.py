"""What the benchmarks share: interleaved timing, goals that compute `met`, rows, peak memory.

A row is a dict: measurement, ours, anchor, unit, goal (a Goal, or None for a figure that is
only recorded), command, and `anchor_missing` (the anchor tool that is not installed here, so
ours is still measured and the row says why the anchor is empty). No row says whether it met
its goal: `Goal.met()` decides from the figures when docs/benchmarks.md is written.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    """A goal for ours, alone or against the anchor; `text` is what the table shows."""

    kind: str  # at_most | at_least | at_most_x | at_least_x | within | equal
    limit: float
    text: str

    def __str__(self) -> str:
        return self.text

    def met(self, ours: object, anchor: object) -> bool | None:
        """Whether the figures meet the goal; None when a figure it needs is missing."""
        if not isinstance(ours, int | float):
            return None
        if self.kind == "at_most":
            return ours <= self.limit
        if self.kind == "at_least":
            return ours >= self.limit
        if not isinstance(anchor, int | float):
            return None
        checks = {
            "at_most_x": ours <= self.limit * anchor,
            "at_least_x": ours >= self.limit * anchor,
            "within": ours - anchor <= self.limit,
            "equal": ours == anchor,
        }
        return checks[self.kind]


def at_most(limit: float, unit: str, text: str = "") -> Goal:
    """Ours at most `limit` (in `unit`), whatever the anchor."""
    return Goal("at_most", limit, text or f"<= {limit:g} {unit}")


def at_least(limit: float, unit: str, text: str = "") -> Goal:
    """Ours at least `limit` (in `unit`), whatever the anchor."""
    return Goal("at_least", limit, text or f">= {limit:,g} {unit}")


def at_most_x(ratio: float, text: str = "") -> Goal:
    """Ours at most `ratio` times the anchor (times, latencies, memory)."""
    return Goal("at_most_x", ratio, text or f"<= {ratio:g}x anchor")


def at_least_x(ratio: float, text: str = "") -> Goal:
    """Ours at least `ratio` times the anchor (throughputs)."""
    return Goal("at_least_x", ratio, text or f">= {ratio:g}x anchor")


def within(delta: float, unit: str, text: str = "") -> Goal:
    """Ours at most `delta` (in `unit`) above the anchor."""
    return Goal("within", delta, text or f"within {delta:g} {unit} of the anchor")


def equal(text: str = "equal") -> Goal:
    """Ours equal to the anchor (counts that must agree)."""
    return Goal("equal", 0, text)


def row(
    measurement: str,
    ours: float | None,
    anchor: float | None,
    unit: str,
    goal: Goal | None,
    command: str,
    *,
    anchor_missing: str = "",
) -> dict[str, Any]:
    """One line of docs/benchmarks.md; goal None: a figure recorded, with nothing to meet."""
    return {
        "measurement": measurement,
        "ours": ours,
        "anchor": anchor,
        "unit": unit,
        "goal": goal,
        "command": command,
        "anchor_missing": anchor_missing,
    }


def timed(
    argv: Sequence[str],
    *,
    ok: Sequence[int] = (0,),
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120,
) -> float:
    """Seconds one run of a command takes, output discarded; its exit code must be in `ok`."""
    started = time.perf_counter()
    done = subprocess.run(
        list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env=None if env is None else dict(env), cwd=cwd, timeout=timeout, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode not in ok:
        tail = done.stderr.decode(errors="replace")[-300:]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {tail}")
    return elapsed


def interleaved_medians(
    commands: Mapping[str, Sequence[str]], rounds: int, *, warmup: int = 1, **how: Any
) -> dict[str, float]:
    """Median seconds of each command, run in turn each round so load hits all of them alike.

    `how` (ok, env, cwd, timeout) goes to timed() for every command; warm-up runs are not kept.
    """
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(warmup + rounds):
        for name, argv in commands.items():
            elapsed = timed(argv, **how)
            if index >= warmup:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_memory_bytes() -> int:
    """This process's peak resident memory: VmHWM on Linux (the whole process, start-up included)."""
    if sys.platform == "linux":
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    if sys.platform == "win32":
        import psutil

        return int(getattr(psutil.Process().memory_info(), "peak_wset", 0))
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # bytes on macOS
