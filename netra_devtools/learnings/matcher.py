"""One compiled matcher over every signature: a fast scan over raw blocks, then identification.

The scan runs a single RE2 alternation of all signatures over a block of whole lines (bytes, no
per-line Python work), so clean lines cost nothing but the DFA pass. Only a line that hits is
cut out, cleaned (prefix, timestamp, ANSI) and identified with an RE2 set; the first signature
in catalog order wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import re2

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
    """Every signature compiled once: an alternation for scanning and a set for identifying."""

    def __init__(self, signatures: Sequence[Signature], max_line: int = MAX_LINE) -> None:
        self.max_line = max_line  # only a line's first max_line bytes are matched
        if not signatures:
            raise ValueError("a matcher needs at least one signature")
        self.signatures = tuple(signatures)
        options = matcher_options()
        options.never_capture = True
        # (?m): `$` in a pattern means end of line inside a multi-line block too.
        alternation = "|".join(f"(?:{s.pattern})" for s in signatures)
        self._scan = re2.compile(f"(?m){alternation}", options)
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
        if self._scan.search(raw[: self.max_line]) is None and b"\x1b" not in raw:
            return None
        text = clean_line(raw[: self.max_line])
        signature = self.identify(text)
        return None if signature is None else Hit(line, signature, text)

    def scan_block(
        self, block: bytes | bytearray, first_line: int, end_of_block: int | None = None
    ) -> Iterator[Hit]:
        """Hits in block[:end_of_block] (whole lines) whose first line is number `first_line`."""
        end_of_block = len(block) if end_of_block is None else end_of_block
        if block.find(b"\x1b", 0, end_of_block) >= 0:  # colours can split a message
            block = _ANSI_BLOCK.sub(b"", block[:end_of_block])
            end_of_block = len(block)
        search = self._scan.search
        position = 0
        line = first_line
        while position < end_of_block:
            match = search(block, position, end_of_block)
            if match is None:
                return
            start = block.rfind(b"\n", 0, match.start()) + 1
            end = block.find(b"\n", match.start(), end_of_block)
            end = end_of_block if end < 0 else end
            line += block.count(b"\n", position, start)
            text = clean_line(bytes(block[start : min(end, start + self.max_line)]))
            signature = self.identify(text) if match.start() - start < self.max_line else None
            if signature is not None:
                yield Hit(line, signature, text)
            position = end + 1
            line += 1

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
