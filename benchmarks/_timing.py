"""Timing helpers shared by the benchmarks: interleaved rounds and medians (our machines are noisy)."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence


def time_call(fn: Callable[[], object]) -> float:
    """Seconds one call of `fn` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_command(argv: Sequence[str], timeout: float = 60) -> float:
    """Seconds one run of a command takes (output discarded, must exit 0)."""
    start = time.perf_counter()
    subprocess.run(
        list(argv),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=timeout,
        check=True,
    )
    return time.perf_counter() - start


def interleaved_medians(
    candidates: dict[str, Callable[[], float]], rounds: int, warmup: int = 1
) -> dict[str, float]:
    """Run each candidate once per round, in turn, and return the median of each."""
    for _ in range(warmup):
        for measure in candidates.values():
            measure()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, measure in candidates.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def row(
    measurement: str,
    ours: float,
    anchor: float | None,
    unit: str,
    goal: str,
    met: bool,
    command: str,
) -> dict[str, object]:
    """One line of docs/benchmarks.md."""
    return {
        "measurement": measurement,
        "ours": ours,
        "anchor": anchor,
        "unit": unit,
        "goal": goal,
        "met": met,
        "command": command,
    }
