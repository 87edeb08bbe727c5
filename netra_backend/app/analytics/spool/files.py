"""The spool's file writes: appends through a bare descriptor, and whole-file replacement.

Appends go through `os.write`, never a buffered file object: a buffered writer that failed to
flush (disk full) keeps the bytes it could not write and writes them again later, which would
turn one ledger line into two. Here a failed append cuts off what it wrote, so a record or a
line is on disk whole or not at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from netra_backend.app.analytics.spool.errors import SpoolDiskError, SpoolLockedError
from netra_backend.app.analytics.spool.records import fsync_dir, lock_exclusively


def disk_error(action: str, path: Path, exc: OSError) -> SpoolDiskError:
    """The error for a failed disk operation: the action, the path, the system's reason."""
    return SpoolDiskError(f"spool disk: cannot {action} {path}: {exc.strerror or exc}")


class AppendOnly:
    """A file opened for appending (created if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0))
        self.size = os.lseek(self.fd, 0, os.SEEK_END)
        self.torn = False  # a failed append could not be cut off: the file ends mid-write

    def append(self, data: bytes, *, sync: bool) -> int:
        """Write all of `data` at the end, fsync'd if `sync`; returns where it starts. On failure
        the part written is cut off again (or `torn` is set) and OSError is raised."""
        start = self.size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
            if sync:
                os.fsync(self.fd)
        except OSError:
            try:
                os.ftruncate(self.fd, start)
            except OSError:
                self.torn = True
            raise
        self.size = start + len(data)
        return start

    def close(self) -> None:
        """Close the descriptor (idempotent)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: a crash or a full disk leaves the old file or the new, whole."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def lock_directory(directory: Path) -> IO[Any]:
    """Take the spool directory's lock (`spool.lock`, held while the handle is open)."""
    handle = open(directory / "spool.lock", "a+")
    try:
        lock_exclusively(handle)
    except OSError:
        handle.close()
        raise SpoolLockedError(
            f"spool directory {directory} is in use by another process; "
            "each backend replica needs its own spool directory"
        ) from None
    return handle


def read_spans(spans: list[tuple[Path, int, int]]) -> list[bytes]:
    """The bytes at each (path, offset, size); spans that follow each other in a file are read
    with one call. SpoolDiskError names the file that could not be read."""
    runs: list[tuple[Path, int, list[int]]] = []  # (path, start, sizes) of contiguous spans
    end = -1
    for path, offset, size in spans:
        if runs and runs[-1][0] == path and end == offset:
            runs[-1][2].append(size)
        else:
            runs.append((path, offset, [size]))
        end = offset + size
    result: list[bytes] = []
    for path, start, sizes in runs:
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                data = handle.read(sum(sizes))
        except OSError as exc:
            raise disk_error("read", path, exc) from None
        at = 0
        for size in sizes:
            result.append(data[at : at + size])
            at += size
    return result
