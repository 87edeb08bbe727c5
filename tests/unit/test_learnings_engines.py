"""The two scanning engines: same findings everywhere, a sound literal prefilter, the fallback."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_devtools.learnings import SPEC_DIR, load_catalog
from netra_devtools.learnings.corpus import CORPUS_DIR, load_lines
from netra_devtools.learnings.engines import (
    MAX_MATCHES_PER_SCAN,
    EngineUnavailable,
    make_scanner,
    requested_engine,
)
from netra_devtools.learnings.lines import clean_line
from netra_devtools.learnings.matcher import Matcher
from netra_devtools.learnings.model import Signature
from netra_devtools.learnings.prefilter import Literal, literal_table, required_literals
from tests.support.skips import require_module

hyperscan = require_module("hyperscan", "the tools extra installs it on x86-64 and arm64")

CATALOG = load_catalog(SPEC_DIR)
FAST = Matcher(CATALOG.signatures, engine="hyperscan")
RE2 = Matcher(CATALOG.signatures, engine="re2")
LINES = [row.text for name in ("heldout.tsv", "train.tsv") for row in load_lines(CORPUS_DIR / name)]
LINES += [ex for sig in CATALOG.signatures for ex in sig.examples + sig.near_misses]
PREFIX = b"backend-1  | 2026-01-02T03:04:05.123456789Z "


def _hits(matcher: Matcher, block: bytes) -> list[tuple[int, str, str]]:
    return [(h.line, h.signature.id, h.text) for h in matcher.scan_block(block, 1)]


def test_auto_picks_hyperscan_when_it_imports_and_every_signature_has_literals() -> None:
    assert Matcher(CATALOG.signatures).engine == "hyperscan"
    assert FAST.engine == "hyperscan" and RE2.engine == "re2"


def test_both_engines_find_the_same_lines_in_the_whole_corpus_behind_compose_prefixes() -> None:
    noise = b"postgres-1 | LOG:  checkpoint complete: wrote 3 buffers (0.0%)\n"
    block = b"".join(noise + PREFIX + line.encode() + b"\n" for line in LINES)
    fast = _hits(FAST, block)
    assert fast == _hits(RE2, block)
    assert len(fast) >= 250  # every corpus line and example, not one lost between the engines


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(LINES) - 1),
    cut=st.integers(min_value=0, max_value=400),
    junk=st.text(alphabet=st.characters(blacklist_characters="\n\r\x00\x1b"), max_size=20),
    swap_case=st.booleans(),
)
def test_prefilter_never_drops_a_line_that_re2_matches(
    index: int, cut: int, junk: str, swap_case: bool
) -> None:
    line = LINES[index]
    line = line[:cut] + junk + line[cut:]
    line = line.swapcase() if swap_case else line
    raw = PREFIX + line.encode("utf-8", "surrogatepass") + b"\n"
    if RE2.identify(clean_line(raw)) is not None:
        assert next(FAST.scanner.positions(raw, len(raw)), None) is not None, line
    assert _hits(FAST, raw) == _hits(RE2, raw)


def test_a_line_repeating_a_literal_thousands_of_times_does_not_hide_later_lines() -> None:
    flood = b"EADDRINUSE " * (MAX_MATCHES_PER_SCAN * 3) + b"\n"
    later = b'psycopg2.OperationalError: FATAL:  password authentication failed for user "x"\n'
    block = flood + b"ok\n" + later
    assert [(h.line, h.signature.id) for h in FAST.scan_block(block, 1)] == [
        (1, "port-in-use"),
        (3, "postgres-auth-failed"),
    ]


def test_threads_scan_with_their_own_scratch_and_agree() -> None:
    block = b"".join(PREFIX + line.encode() + b"\n" for line in LINES)
    expected = _hits(FAST, block)
    results: list[list[tuple[int, str, str]]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_hits(FAST, block))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [expected] * 4


def test_caseless_literals_are_cut_where_re2_folds_beyond_ascii() -> None:
    # RE2's (?i)k also matches U+212A KELVIN SIGN and (?i)s U+017F LONG S; a byte scan cannot.
    assert required_literals("(?i:address already in use)") == frozenset(
        {Literal(b" already in u", True)}
    )
    long_s = "addre\u017f\u017f already in u\u017fe"
    assert RE2.identify(long_s) is not None and FAST.identify(long_s) is not None
    raw = long_s.encode() + b"\n"
    assert _hits(FAST, raw) == _hits(RE2, raw) != []


def test_pattern_without_a_required_literal_falls_back_to_re2_or_refuses() -> None:
    only_classes = Signature("digits", r"[0-9]{4}-[0-9]{2}", ("2026-01",), learning_id="x")
    assert literal_table([only_classes.pattern]) is None
    assert Matcher([only_classes]).engine == "re2"
    with pytest.raises(EngineUnavailable, match="no literal every match must contain"):
        make_scanner([only_classes.pattern], "hyperscan")


def test_engine_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETRA_INTROSPECT_ENGINE", "re2")
    assert requested_engine() == "re2" and requested_engine("hyperscan") == "hyperscan"
    assert Matcher(CATALOG.signatures).engine == "re2"
    monkeypatch.setenv("NETRA_INTROSPECT_ENGINE", "grep")
    with pytest.raises(EngineUnavailable, match="unknown engine 'grep'"):
        requested_engine()
