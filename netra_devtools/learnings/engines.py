"""Scanning engines: find the candidate lines of a block fast; RE2 then confirms each one.

- `hyperscan`: every signature's required literals (learnings/prefilter.py) in one Hyperscan
  literal database, scanned over the raw block. Chosen by `auto` when hyperscan imports and
  every signature has a literal set.
- `re2`: one RE2 alternation of all signatures over the block (the fallback everywhere).

Both only propose positions; the matcher cuts out the line, cleans it and identifies it with
RE2, so the two engines report the same findings (the tests prove it on the corpus).
Choose with `--engine` or NETRA_INTROSPECT_ENGINE=auto|hyperscan|re2.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast

import re2

from netra_devtools.learnings.loader import matcher_options
from netra_devtools.learnings.model import LearningError
from netra_devtools.learnings.prefilter import Literal, literal_table

ENGINE_ENV = "NETRA_INTROSPECT_ENGINE"
ENGINES = ("auto", "hyperscan", "re2")
# Matches handed back per hyperscan call: a line repeating a literal thousands of times costs
# one Python callback per repeat, so the scan stops here and resumes after that line.
MAX_MATCHES_PER_SCAN = 4096


class EngineUnavailable(LearningError):
    """The requested engine cannot run here (hyperscan not installed, no literal prefilter)."""


class Scanner(Protocol):
    """Proposes offsets in a block; every line that a signature matches contains one of them."""

    name: str

    def positions(self, block: bytes | bytearray, end: int) -> Iterator[int]:
        """Ascending offsets < end inside candidate lines; at most one per line is needed."""
        ...


class Re2Scanner:
    """One RE2 alternation of every signature, searched over the block."""

    name = "re2"

    def __init__(self, patterns: Sequence[str]) -> None:
        options = matcher_options()
        options.never_capture = True
        # (?m): `$` in a pattern means end of line inside a multi-line block too.
        self._regex = re2.compile("(?m)" + "|".join(f"(?:{p})" for p in patterns), options)

    def positions(self, block: bytes | bytearray, end: int) -> Iterator[int]:
        """Leftmost match of each candidate line, resuming after that line."""
        search = self._regex.search
        position = 0
        while position < end:
            match = search(block, position, end)
            if match is None:
                return
            yield match.start()
            newline = block.find(b"\n", match.start(), end)
            position = end if newline < 0 else newline + 1


class HyperscanScanner:
    """The signatures' required literals in one Hyperscan literal database."""

    name = "hyperscan"

    def __init__(self, literals: Sequence[Literal]) -> None:
        import hyperscan

        self._hyperscan = hyperscan
        self._database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        caseless = hyperscan.HS_FLAG_CASELESS
        self._database.compile(
            expressions=[lit.text for lit in literals],
            ids=list(range(len(literals))),
            flags=[caseless if lit.caseless else 0 for lit in literals],
            literal=True,
        )
        self._local = threading.local()  # a scratch space per thread (hyperscan's rule)

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hyperscan.Scratch(self._database)
        return scratch

    def positions(self, block: bytes | bytearray, end: int) -> Iterator[int]:
        """The last byte of each literal occurrence, in batches of MAX_MATCHES_PER_SCAN."""
        ends: list[int] = []

        def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> bool:
            ends.append(to)
            return len(ends) >= MAX_MATCHES_PER_SCAN  # True stops the scan

        view = memoryview(block)
        position = 0
        try:
            while position < end:
                ends.clear()
                chunk = view[position:end]
                try:
                    self._database.scan(
                        cast(bytes, chunk), match_event_handler=on_match, scratch=self._scratch()
                    )
                    complete = True
                except self._hyperscan.ScanTerminated:
                    complete = False
                finally:
                    chunk.release()
                batch, base = sorted(ends), position
                for offset in batch:
                    yield base + offset - 1
                if complete or not batch:
                    return
                newline = block.find(b"\n", base + batch[-1] - 1, end)
                position = end if newline < 0 else newline + 1
        finally:
            view.release()


def requested_engine(engine: str | None = None) -> str:
    """The engine asked for: the argument, else NETRA_INTROSPECT_ENGINE, else auto."""
    choice = (engine or os.environ.get(ENGINE_ENV) or "auto").strip().lower()
    if choice not in ENGINES:
        raise EngineUnavailable(
            f"unknown engine {choice!r} (from {ENGINE_ENV} or --engine); use one of {ENGINES}"
        )
    return choice


def hyperscan_missing() -> str | None:
    """Why hyperscan cannot be used here, or None when it imports."""
    try:
        import hyperscan  # noqa: F401
    except ImportError as exc:  # no wheel for this platform, or not installed
        return f"hyperscan does not import ({exc})"
    return None


def make_scanner(patterns: Sequence[str], engine: str | None = None) -> Scanner:
    """The scanner for `engine` (auto: hyperscan when it imports and can prefilter, else RE2)."""
    choice = requested_engine(engine)
    if choice == "re2":
        return Re2Scanner(patterns)
    problem = hyperscan_missing()
    literals = literal_table(patterns) if problem is None else None
    if problem is None and literals is None:
        problem = "a signature has no literal every match must contain (no prefilter)"
    if problem is None and literals is not None:
        return HyperscanScanner(literals)
    if choice == "hyperscan":
        raise EngineUnavailable(f"engine hyperscan: {problem}")
    return Re2Scanner(patterns)
