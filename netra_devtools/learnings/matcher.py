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

from netra_devtools.learnings.lines import clean_line
from netra_devtools.learnings.loader import matcher_options
from netra_devtools.learnings.model import Signature

_ANSI_BLOCK = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


@dataclass(frozen=True)
class Hit:
    """A line that matched a signature: 1-based line number within its source, cleaned text."""

    line: int
    signature: Signature
    text: str
    head: bytes = b""  # the raw start of the line: the compose prefix names the service


class Matcher:
    """Every signature compiled once: an alternation for scanning and a set for identifying."""

    def __init__(self, signatures: Sequence[Signature]) -> None:
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

    def scan_block(self, block: bytes, first_line: int) -> Iterator[Hit]:
        """Hits in a block of whole lines whose first line has number `first_line`."""
        if b"\x1b" in block:  # colour codes can split a message; they never span lines
            block = _ANSI_BLOCK.sub(b"", block)
        search = self._scan.search
        position = 0
        line = first_line
        end_of_block = len(block)
        while position < end_of_block:
            match = search(block, position)
            if match is None:
                return
            start = block.rfind(b"\n", 0, match.start()) + 1
            end = block.find(b"\n", match.start())
            end = end_of_block if end < 0 else end
            line += block.count(b"\n", position, start)
            text = clean_line(block[start:end])
            signature = self.identify(text)
            if signature is not None:
                yield Hit(line, signature, text, block[start : min(end, start + 160)])
            position = end + 1
            line += 1

    def scan(self, blocks: Iterable[bytes]) -> Scan:
        """Hits over a stream of blocks, counting lines as it goes."""
        return Scan(self, blocks)


class Scan:
    """An iteration of hits over blocks; `lines` is how many lines were read so far."""

    def __init__(self, matcher: Matcher, blocks: Iterable[bytes]) -> None:
        self._matcher = matcher
        self._blocks = blocks
        self.lines = 0

    def __iter__(self) -> Iterator[Hit]:
        for block in self._blocks:
            yield from self._matcher.scan_block(block, self.lines + 1)
            self.lines += block.count(b"\n")
