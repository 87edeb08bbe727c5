"""One compiled matcher over every signature: a fast scan over raw blocks, then identification.

An engine (learnings/engines.py: Hyperscan's literal prefilter, or one RE2 alternation) proposes
positions in a block of whole lines with no per-line Python work, so clean lines cost nothing
but the engine's pass. Only a line that holds a position is cut out, cleaned (prefix, timestamp,
ANSI) and identified with an RE2 set; the first signature in catalog order wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import re2

from netra_devtools.learnings.engines import make_scanner
from netra_devtools.learnings.lines import MAX_LINE, clean_line
from netra_devtools.learnings.loader import matcher_options
from netra_devtools.learnings.model import Signature

_ANSI_BLOCK = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


@dataclass(frozen=True)
class Hit:
    """A line that matched a signature: 1-based line number within its source, cleaned text."""

    line: int
    signature: Signature
    text: str


class Matcher:
    """Every signature compiled once: an engine for scanning and an RE2 set for identifying."""

    def __init__(
        self, signatures: Sequence[Signature], max_line: int = MAX_LINE, engine: str | None = None
    ) -> None:
        self.max_line = max_line  # only a line's first max_line bytes are matched
        if not signatures:
            raise ValueError("a matcher needs at least one signature")
        self.signatures = tuple(signatures)
        self.scanner = make_scanner([s.pattern for s in self.signatures], engine)
        self.engine = self.scanner.name
        self._set = re2.Set.SearchSet(matcher_options())
        for sig in self.signatures:
            self._set.Add(sig.pattern)
        self._set.Compile()

    def identify_all(self, text: str) -> list[Signature]:
        """Every signature matching one cleaned line, in catalog order."""
        found = self._set.Match(text) or []
        return [self.signatures[index] for index in sorted(found)]

    def identify(self, text: str) -> Signature | None:
        """The first signature (catalog order) matching one cleaned line, or None."""
        found = self._set.Match(text)
        return self.signatures[min(found)] if found else None

    def match_line(self, raw: bytes, line: int) -> Hit | None:
        """The hit for one raw line (no newline), or None: the per-line path for demuxing."""
        raw = raw[: self.max_line]
        if b"\x1b" not in raw and next(self.scanner.positions(raw, len(raw)), None) is None:
            return None
        text = clean_line(raw)
        signature = self.identify(text)
        return None if signature is None else Hit(line, signature, text)

    def scan_block(
        self, block: bytes | bytearray, first_line: int, end_of_block: int | None = None
    ) -> Iterator[Hit]:
        """Hits in block[:end_of_block] (whole lines) whose first line is number `first_line`."""
        end = len(block) if end_of_block is None else end_of_block
        if block.find(b"\x1b", 0, end) >= 0:  # colours can split a message
            block = _ANSI_BLOCK.sub(b"", block[:end])
            end = len(block)
        line = first_line
        counted = 0  # newlines before `counted` are already in `line`
        next_line = 0  # positions before this belong to lines already identified
        for position in self.scanner.positions(block, end):
            if position < next_line:
                continue
            start = block.rfind(b"\n", 0, position) + 1
            stop = block.find(b"\n", position, end)
            stop = end if stop < 0 else stop
            line += block.count(b"\n", counted, start)
            counted = start
            text = clean_line(bytes(block[start : min(stop, start + self.max_line)]))
            signature = self.identify(text)
            if signature is not None:
                yield Hit(line, signature, text)
            next_line = stop + 1

    def scan(self, blocks: Iterable[bytes] | Iterable[tuple[bytearray, int]]) -> Scan:
        """Hits over a stream of blocks, counting lines as it goes."""
        return Scan(self, blocks)


class Scan:
    """An iteration of hits over blocks; `lines` is how many lines were read so far."""

    def __init__(
        self, matcher: Matcher, blocks: Iterable[bytes] | Iterable[tuple[bytearray, int]]
    ) -> None:
        self._matcher = matcher
        self._blocks = blocks
        self.lines = 0

    def __iter__(self) -> Iterator[Hit]:
        for item in self._blocks:
            block, end = item if isinstance(item, tuple) else (item, len(item))
            yield from self._matcher.scan_block(block, self.lines + 1, end)
            self.lines += block.count(b"\n", 0, end)
