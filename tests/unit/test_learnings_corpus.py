"""The signatures against real error lines they were not written from, and against clean logs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from netra_devtools.learnings import SPEC_DIR, load_catalog
from netra_devtools.learnings.corpus import (
    CORPUS_DIR,
    EXEMPT,
    MIN_HELDOUT,
    MIN_RECALL,
    CorpusError,
    CorpusLine,
    clean_false_positives,
    corpus_problems,
    load_lines,
    recall_by_signature,
)
from netra_devtools.learnings.matcher import Matcher

CATALOG = load_catalog(SPEC_DIR)
MATCHER = Matcher(CATALOG.signatures)
HELDOUT = load_lines(CORPUS_DIR / "heldout.tsv")
TRAIN = load_lines(CORPUS_DIR / "train.tsv")
RECALLS = recall_by_signature(MATCHER, HELDOUT)
SIGNATURE_IDS = sorted(sig.id for sig in CATALOG.signatures)


@pytest.mark.parametrize("signature", SIGNATURE_IDS)
def test_heldout_recall_is_at_least_90_percent_per_signature(signature: str) -> None:
    recall = RECALLS[signature]
    assert recall.total >= MIN_HELDOUT or signature in EXEMPT, recall.total
    missed = [row.text for row in recall.missed]
    assert recall.rate >= MIN_RECALL, f"{recall.found}/{recall.total}; missed: {missed}"


@pytest.mark.parametrize("row", TRAIN, ids=[f"{r.signature}-{i}" for i, r in enumerate(TRAIN)])
def test_training_lines_are_recognised_by_their_signature(row: CorpusLine) -> None:
    assert [sig.id for sig in MATCHER.identify_all(row.text)] == [row.signature]


def test_clean_logs_of_healthy_runs_flag_nothing() -> None:
    assert len(list((CORPUS_DIR / "clean").glob("*.log"))) >= 2
    assert clean_false_positives(MATCHER, CORPUS_DIR / "clean") == []


def test_heldout_lines_follow_the_published_split_and_never_become_examples() -> None:
    examples = {ex for sig in CATALOG.signatures for ex in sig.examples + sig.near_misses}
    assert not {row.text for row in HELDOUT} & {row.text for row in TRAIN}
    for row in HELDOUT:
        assert hashlib.sha256(row.text.encode()).hexdigest()[0] in "01234567", row.text
        assert row.text not in examples, row.text
        assert row.source.startswith("https://github.com/"), row.source
    for row in TRAIN:
        early = hashlib.sha256(row.text.encode()).hexdigest()[0] in "01234567"
        assert not early or "already in the repository" in row.note or "after" in row.note


def test_a_flagged_clean_line_and_a_weak_signature_are_both_reported(tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "x.log").write_text(
        "INFO ok\nOSError: [Errno 98] Address already in use\n"
    )
    rows = [f"port-in-use\thttps://example.invalid/{i}\tnote\tplain words {i}" for i in range(10)]
    (tmp_path / "heldout.tsv").write_text("# header\n" + "\n".join(rows) + "\n")
    report, problems = corpus_problems(MATCHER, tmp_path)
    assert "port-in-use: held-out recall 0.0% (0/10) is below 90%" in problems
    assert any(p.startswith("clean log x.log:2 flagged as port-in-use") for p in problems)
    assert report[-1] == "clean-log lines flagged: 2"  # as recorded and behind a compose prefix
    assert sum(p.startswith("docker-desktop-backend-failed: 0 held-out") for p in problems) == 1


def test_malformed_corpus_row_is_a_corpus_error(tmp_path: Path) -> None:
    (tmp_path / "bad.tsv").write_text("port-in-use\tonly two fields\n")
    with pytest.raises(CorpusError, match=r"bad.tsv:1: expected signature, source, note, line"):
        load_lines(tmp_path / "bad.tsv")
