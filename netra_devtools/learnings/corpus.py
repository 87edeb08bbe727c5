"""The corpus of real error lines: recall per signature on the held-out set, clean-log silence.

`tests/data/corpus/heldout.tsv` holds real lines no signature was written from; every generic
signature must recognise at least MIN_RECALL of its held-out lines, and have MIN_HELDOUT of
them. `clean/*.log` are logs of healthy runs of our stack, in which nothing may be flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import LearningError
from netra_devtools.paths import REPO_ROOT

CORPUS_DIR = REPO_ROOT / "tests" / "data" / "corpus"
MIN_RECALL = 0.9
MIN_HELDOUT = 10
# Signatures specific to this project (our own index names and the like) need fewer lines.
EXEMPT: frozenset[str] = frozenset()
# What `docker compose logs --timestamps` puts in front of a line; clean lines stay clean behind it.
COMPOSE_DECORATION = b"backend-1  | 2026-01-02T03:04:05.123456789Z "


class CorpusError(LearningError):
    """A corpus file is missing or a row is not `signature, source, note, line`."""


@dataclass(frozen=True)
class CorpusLine:
    """One real error line with the signature that should recognise it and where it came from."""

    signature: str
    source: str
    note: str
    text: str


@dataclass
class Recall:
    """How many of a signature's lines the matcher attributes to it, and which it missed."""

    signature: str
    found: int = 0
    total: int = 0
    missed: list[CorpusLine] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """found / total (1.0 for a signature without lines)."""
        return self.found / self.total if self.total else 1.0


@dataclass(frozen=True)
class FalsePositive:
    """A clean line that a signature flagged."""

    file: str
    line: int
    signature: str
    text: str


def load_lines(path: Path) -> list[CorpusLine]:
    """The rows of one corpus TSV file (`#` lines are comments)."""
    try:
        raw_lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from None
    rows = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 4 or not all(fields):
            raise CorpusError(f"{path.name}:{number}: expected signature, source, note, line")
        rows.append(CorpusLine(*fields))
    return rows


def recall_by_signature(matcher: Matcher, lines: list[CorpusLine]) -> dict[str, Recall]:
    """Per signature: how many of its lines the matcher's finding names that signature."""
    recalls = {sig.id: Recall(sig.id) for sig in matcher.signatures}
    for row in lines:
        recall = recalls.setdefault(row.signature, Recall(row.signature))
        recall.total += 1
        found = matcher.identify(row.text)
        if found is not None and found.id == row.signature:
            recall.found += 1
        else:
            recall.missed.append(row)
    return recalls


def clean_false_positives(matcher: Matcher, directory: Path) -> list[FalsePositive]:
    """Every flagged line of the clean logs, as recorded and behind a compose prefix."""
    found = []
    for path in sorted(directory.glob("*.log")):
        data = path.read_bytes()
        decorated = b"".join(COMPOSE_DECORATION + line for line in data.splitlines(True))
        for block in (data, decorated):
            block = block if block.endswith(b"\n") else block + b"\n"
            for hit in matcher.scan_block(block, 1):
                found.append(FalsePositive(path.name, hit.line, hit.signature.id, hit.text))
    return found


def corpus_problems(matcher: Matcher, corpus_dir: Path = CORPUS_DIR) -> tuple[list[str], list[str]]:
    """(report lines, problems): held-out recall per signature and clean-log false positives."""
    recalls = recall_by_signature(matcher, load_lines(corpus_dir / "heldout.tsv"))
    known = {sig.id for sig in matcher.signatures}
    report = [f"{'signature':32} {'held-out':>8} {'recall':>7}"]
    problems = []
    for sig_id, recall in sorted(recalls.items()):
        report.append(f"{sig_id:32} {recall.total:8d} {recall.rate:7.1%}")
        if sig_id not in known:
            problems.append(f"held-out lines name an unknown signature {sig_id!r}")
        elif recall.total < MIN_HELDOUT and sig_id not in EXEMPT:
            problems.append(f"{sig_id}: {recall.total} held-out line(s), need {MIN_HELDOUT}")
        elif recall.total and recall.rate < MIN_RECALL:
            problems.append(
                f"{sig_id}: held-out recall {recall.rate:.1%} "
                f"({recall.found}/{recall.total}) is below {MIN_RECALL:.0%}"
            )
    false_positives = clean_false_positives(matcher, corpus_dir / "clean")
    report.append(f"clean-log lines flagged: {len(false_positives)}")
    problems += [
        f"clean log {fp.file}:{fp.line} flagged as {fp.signature}: {fp.text[:120]}"
        for fp in false_positives
    ]
    return report, problems
