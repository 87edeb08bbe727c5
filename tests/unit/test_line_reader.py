"""The line reader and the block scanner: prefixes, timestamps, colours, bad bytes, huge lines."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_devtools.learnings import SPEC_DIR, load_catalog
from netra_devtools.learnings.lines import (
    clean_line,
    iter_blocks,
    iter_buffer_blocks,
    iter_chunks,
    iter_lines,
)
from netra_devtools.learnings.matcher import Matcher

MATCHER = Matcher(load_catalog(SPEC_DIR).signatures)
ERROR = b"OSError: [Errno 98] Address already in use"


@pytest.mark.parametrize(
    "raw",
    [
        b"backend-1  | " + ERROR,
        b"netra_backend_1 | " + ERROR,
        b"backend-1  | 2026-03-04T05:06:07.123456789Z " + ERROR,
        b"2026-03-04T05:06:07.123456789+01:00 " + ERROR,
        b"\x1b[36mbackend-1  |\x1b[0m " + ERROR,
        b"backend-1  | \x1b[31m" + ERROR + b"\x1b[0m\r",
        ERROR + b"\r",
        b"\x00" + ERROR,
    ],
)
def test_decorations_are_stripped(raw: bytes) -> None:
    assert clean_line(raw) == ERROR.decode()


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert clean_line(b"caf\xe9 \xff\xfe ok") == "caf\ufffd \ufffd\ufffd ok"


def test_text_with_a_pipe_that_is_not_a_prefix_is_kept() -> None:
    assert clean_line(b"ERROR: a | b") == "ERROR: a | b"


def test_line_numbers_survive_tiny_chunks_and_crlf() -> None:
    data = b"one\r\ntwo\n" + ERROR + b"\r\nfour"
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    blocks = list(iter_blocks(chunks))
    assert b"".join(blocks).count(b"\n") == 4
    hits = list(MATCHER.scan(blocks))
    assert [(h.line, h.signature.id) for h in hits] == [(3, "port-in-use")]


def test_multi_megabyte_line_is_truncated_for_matching_but_counted() -> None:
    huge = b"x" * (5 * 1024 * 1024) + ERROR  # the error sits past the 1 MiB cap: not seen
    data = huge + b"\nshort\n" + ERROR + b"\n"
    scan = MATCHER.scan(iter_blocks(iter_chunks(io.BytesIO(data), 64 * 1024), max_line=1 << 20))
    hits = list(scan)
    assert [h.line for h in hits] == [3]
    assert scan.lines == 3


def test_error_inside_the_first_mebibyte_of_a_huge_line_is_found() -> None:
    data = ERROR + b" " + b"y" * (3 * 1024 * 1024) + b"\n" + b"tail\n"
    scan = MATCHER.scan(iter_blocks(iter_chunks(io.BytesIO(data), 256 * 1024)))
    assert [h.line for h in scan] == [1]
    assert scan.lines == 2


def test_iter_lines_numbers_every_line_including_a_last_one_without_newline() -> None:
    lines = list(iter_lines(io.BytesIO(b"a\n\nsvc-1  | b\r\nc")))
    assert lines == [(1, "a"), (2, ""), (3, "b"), (4, "c")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=97))
def test_arbitrary_bytes_in_arbitrary_chunks_never_crash_and_lines_are_counted(
    data: bytes, chunk_size: int
) -> None:
    stream = io.BytesIO(data + b"\n" + ERROR + b"\n")
    scan = MATCHER.scan(iter_blocks(iter_chunks(stream, chunk_size), max_line=512))
    hits = list(scan)
    expected_lines = data.count(b"\n") + 2
    assert scan.lines == expected_lines
    assert hits[-1].line == expected_lines and hits[-1].signature.id == "port-in-use"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500))
def test_clean_line_accepts_any_bytes(raw: bytes) -> None:
    assert "\n" not in clean_line(raw.replace(b"\n", b""))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"\n", b"\r", b"\x00", b"\xff", ERROR, b"x" * 70]), max_size=80
    ),
    st.integers(min_value=8, max_value=200),
    st.integers(min_value=4, max_value=150),
)
def test_buffer_reader_finds_the_same_lines_as_the_chunk_reader(
    parts: list[bytes], size: int, max_line: int
) -> None:
    data = b"".join(parts)
    matcher = Matcher(MATCHER.signatures, max_line=max_line)
    expected = matcher.scan(iter_blocks(iter_chunks(io.BytesIO(data), 7), max_line=max_line))
    expected_hits = [(h.line, h.signature.id) for h in expected]
    actual = matcher.scan(iter_buffer_blocks(io.BytesIO(data), max_line=max_line, size=size))
    assert [(h.line, h.signature.id) for h in actual] == expected_hits
    assert actual.lines == expected.lines


def test_buffer_reader_truncates_huge_lines_but_counts_them() -> None:
    data = b"z" * (3 << 20) + ERROR + b"\n" + ERROR + b"\n"
    scan = MATCHER.scan(iter_buffer_blocks(io.BytesIO(data)))
    assert [h.line for h in scan] == [2]
    assert scan.lines == 2


def test_match_line_sees_through_prefixes_and_colours_and_ignores_clean_lines() -> None:
    hit = MATCHER.match_line(b"\x1b[32mnetra_api_1 |\x1b[0m " + ERROR + b"\r", 7)
    assert hit is not None and (hit.line, hit.signature.id, hit.text) == (
        7,
        "port-in-use",
        ERROR.decode(),
    )
    assert MATCHER.match_line(b"api-1  | INFO all good", 1) is None
