"""Why the spool could not take or keep a batch; each message names the directory or file."""

from __future__ import annotations

from netra_backend.errors import NetraBackendError


class SpoolError(NetraBackendError):
    """Base of the spool's errors."""


class SpoolLockedError(SpoolError):
    """Another process holds this spool directory (each replica needs its own)."""


class SpoolDiskError(SpoolError):
    """The spool's disk refused a write or read (full, I/O error, read-only); names the path."""


class SpoolFullError(SpoolError):
    """The batch does not fit within CLICKHOUSE_SPOOL_MAX_ROWS / _MAX_BYTES (drop-newest)."""
