"""Introspection: scan log sources with the catalog's matcher and collect findings.

Sources are scanned one after another, or, when following, each in its own thread feeding one
queue, so a quiet container never blocks a noisy one and Ctrl-C reaches the main thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from netra_backend.redact import mask_secrets
from netra_devtools.docker.sources import LogSource
from netra_devtools.learnings.lines import iter_blocks, iter_buffer_blocks
from netra_devtools.learnings.matcher import Hit, Matcher

MAX_TEXT = 2000


@dataclass(frozen=True)
class Finding:
    """A recognised line: which signature and learning, where (source, 1-based line), the text."""

    signature: str
    learning: str
    source: str
    line: int
    text: str

    def as_json(self) -> dict[str, object]:
        """The ARCHITECTURE.md finding object."""
        return {
            "signature": self.signature,
            "learning": self.learning,
            "line": self.line,
            "source": self.source,
            "text": self.text,
        }


@dataclass
class SignatureStats:
    """Per-signature aggregate: count and the first and last occurrence."""

    count: int = 0
    first: Finding | None = None
    last: Finding | None = None


@dataclass
class Summary:
    """What a run saw: lines read, findings, and per-signature stats (memory independent of size)."""

    lines: int = 0
    findings: int = 0
    by_signature: dict[str, SignatureStats] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        """Count one finding."""
        stats = self.by_signature.setdefault(finding.signature, SignatureStats())
        stats.count += 1
        stats.first = stats.first or finding
        stats.last = finding
        self.findings += 1

    def as_json(self) -> dict[str, object]:
        """The ARCHITECTURE.md summary object."""
        counts = {sig: stats.count for sig, stats in sorted(self.by_signature.items())}
        return {"lines": self.lines, "findings": self.findings, "by_signature": counts}


def _finding(hit: Hit, source: str) -> Finding:
    text = mask_secrets(hit.text)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "…"
    return Finding(hit.signature.id, hit.signature.learning_id, source, hit.line, text)


def _source_findings(matcher: Matcher, source: LogSource) -> Iterator[Finding | int]:
    """Findings of one source, then the number of lines it had (an int, last)."""
    if source.demux is not None:
        yield from _demuxed_findings(matcher, source)
        return
    if source.stream is not None:
        scan = matcher.scan(iter_buffer_blocks(source.stream))
    else:
        scan = matcher.scan(iter_blocks(source.chunks))
    for hit in scan:
        yield _finding(hit, source.name)
    yield scan.lines


def _demuxed_findings(matcher: Matcher, source: LogSource) -> Iterator[Finding | int]:
    """Interleaved compose output: each line is numbered within its own service (its prefix)."""
    assert source.demux is not None
    per_service: dict[str, int] = {}
    total = 0
    for block in iter_blocks(source.chunks):
        for raw in block.split(b"\n")[:-1]:
            total += 1
            name = source.demux(raw) or source.name
            number = per_service[name] = per_service.get(name, 0) + 1
            hit = matcher.match_line(raw, number)
            if hit is not None:
                yield _finding(hit, name)
    yield total


def scan_sources(
    matcher: Matcher,
    sources: Sequence[LogSource],
    summary: Summary,
) -> Iterator[Finding]:
    """Findings from each source in turn; `summary` is updated as they are produced."""
    for source in sources:
        try:
            for item in _source_findings(matcher, source):
                if isinstance(item, int):
                    summary.lines += item
                else:
                    summary.add(item)
                    yield item
        finally:
            source.close()


def follow_sources(
    matcher: Matcher,
    sources: Sequence[LogSource],
    summary: Summary,
    *,
    max_findings: int | None = None,
    timeout: float | None = None,
) -> Iterator[Finding]:
    """Findings from all sources as they arrive; stops at max_findings, timeout, or all ended."""
    feed: queue.Queue[Finding | int | BaseException] = queue.Queue(maxsize=10_000)

    def pump(source: LogSource) -> None:
        try:
            for item in _source_findings(matcher, source):
                feed.put(item)
        except BaseException as exc:  # a failing stream ends its source and is reported once
            feed.put(exc)
            feed.put(0)

    threads = [threading.Thread(target=pump, args=(s,), daemon=True) for s in sources]
    for thread in threads:
        thread.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    ended = 0
    try:
        while ended < len(threads):
            wait = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if wait <= 0:
                return
            try:
                item = feed.get(timeout=wait)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                continue  # the source ended with an error; its lines so far still count
            if isinstance(item, int):
                summary.lines += item
                ended += 1
                continue
            summary.add(item)
            yield item
            if max_findings is not None and summary.findings >= max_findings:
                return
    finally:
        for source in sources:
            source.close()
