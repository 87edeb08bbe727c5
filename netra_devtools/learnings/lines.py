"""Line reader for container logs: bytes in, whole lines out, prefixes and colours stripped.

Logs arrive as bytes in arbitrary chunks. `iter_blocks` regroups them into blocks of whole lines
(memory bounded by the chunk size plus `max_line`): a line longer than `max_line` is truncated
for matching but still counted, so line numbers stay true. `clean_line` removes what docker and
compose add in front of a line (service prefix, `--timestamps` RFC 3339 stamp) and ANSI colour
codes, and decodes invalid UTF-8 with replacement characters instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import IO, Protocol


class Readable(Protocol):
    """A binary stream that can read into a caller's buffer (files, pipes, stdin)."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


CHUNK_SIZE = 1 << 20
MAX_LINE = 1 << 20

# ANSI CSI sequences (colours, cursor moves) and OSC sequences; compose colours its prefixes.
_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# `service-1  | `, `project_service_1 | `, `service  | ` (compose v1 and v2).
_COMPOSE_PREFIX = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127} *\| ?")
# docker logs --timestamps: RFC 3339 with nanoseconds, `Z` or an offset.
_TIMESTAMP = re.compile(
    rb"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})? ?"
)


def iter_chunks(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read a binary stream in chunks until EOF (read1 returns what is there, for --follow)."""
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(chunk_size)
        if not chunk:
            return
        yield chunk


def iter_blocks(chunks: Iterable[bytes], max_line: int = MAX_LINE) -> Iterator[bytes]:
    """Regroup chunks into blocks of whole `\\n`-terminated lines; overlong lines are truncated.

    Every line keeps its terminating newline, so the number of lines in the input equals the
    number of `\\n` in all blocks (a last line without one gets one added).
    """
    carry = b""
    skipping = False  # inside an overlong line whose first max_line bytes were already emitted
    for chunk in chunks:
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk = chunk[newline + 1 :]
            skipping = False
        data = carry + chunk if carry else chunk
        last = data.rfind(b"\n")
        if last >= 0:
            yield data[: last + 1]
            carry = data[last + 1 :]
        else:
            carry = data
        if len(carry) > max_line:
            yield carry[:max_line] + b"\n"
            carry = b""
            skipping = True
    if carry:
        yield carry + b"\n"


def iter_buffer_blocks(
    stream: Readable, max_line: int = MAX_LINE, size: int = 4 * CHUNK_SIZE
) -> Iterator[tuple[bytearray, int]]:
    """iter_blocks for a readable stream, reusing one buffer: yields (buffer, end).

    The block is `buffer[:end]` and is only valid until the next one is requested. Reading
    into memory that is already mapped avoids a fresh allocation (and its page faults) per
    chunk, which otherwise costs more than the regex scan itself.
    """
    capacity = size + max_line + 1  # room for a max_line carry, a read, and one "\n"
    buffer = bytearray(capacity)
    view = memoryview(buffer)
    filled = 0
    skipping = False
    while True:
        count = stream.readinto(view[filled : capacity - 1])
        if not count:
            break
        filled += count
        if skipping:  # drop the rest of an overlong line
            newline = buffer.find(b"\n", 0, filled)
            if newline < 0:
                filled = 0
                continue
            buffer[: filled - newline - 1] = view[newline + 1 : filled]
            filled -= newline + 1
            skipping = False
        last = buffer.rfind(b"\n", 0, filled)
        if last >= 0:
            yield buffer, last + 1
            rest = filled - last - 1
            buffer[:rest] = view[last + 1 : filled]
            filled = rest
        if filled > max_line:
            buffer[max_line] = 0x0A
            yield buffer, max_line + 1
            filled = 0
            skipping = True
    view.release()
    if filled:
        buffer[filled] = 0x0A
        yield buffer, filled + 1


def clean_line(raw: bytes) -> str:
    """One log line as text: no newline/CR/NUL, no compose prefix, timestamp or ANSI codes."""
    line = raw.rstrip(b"\r\n")
    if b"\x1b" in line:
        line = _ANSI.sub(b"", line)
    if b"\x00" in line:
        line = line.replace(b"\x00", b"")
    line = _COMPOSE_PREFIX.sub(b"", line, count=1)
    line = _TIMESTAMP.sub(b"", line, count=1)
    return line.decode("utf-8", errors="replace").rstrip("\r")


def iter_lines(stream: IO[bytes], max_line: int = MAX_LINE) -> Iterator[tuple[int, str]]:
    """(1-based line number, cleaned text) for every line of a binary stream."""
    number = 0
    for block in iter_blocks(iter_chunks(stream), max_line):
        for raw in block.split(b"\n")[:-1]:
            number += 1
            yield number, clean_line(raw)
