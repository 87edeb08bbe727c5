"""One logging configuration for the backend and every command line: secrets masked in every
line, and the drivers' records (clickhouse-connect, urllib3, psycopg2, SQLAlchemy) one line each.

A driver that logs a failure and then raises it to us ("Unexpected Http Driver Exception",
urllib3's "Retrying ...") says nothing our own code does not report, once, at its level (the
analytics client: "ClickHouse unavailable, analytics degraded: ..."); those records are DEBUG.
Any other driver record keeps its level, with its exception folded into the line as
`Type: first line` instead of a traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from netra_backend.redact import mask_secrets

SERVICE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CLI_FORMAT = "%(levelname)s %(name)s: %(message)s"
DRIVERS = ("clickhouse_connect", "urllib3", "psycopg2", "sqlalchemy", "chdb")
# (driver, message start) of records about an error the driver raises to its caller right after
REDUNDANT = (
    ("clickhouse_connect", "Unexpected Http Driver Exception"),
    ("urllib3", "Retrying ("),
)


def _driver(name: str) -> str | None:
    root = name.split(".", 1)[0]
    return root if root in DRIVERS else None


def _exception_line(exc_info: Any) -> str:
    _type, exc, _traceback = exc_info
    if exc is None:
        return ""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class DriverRecords(logging.Filter):
    """Makes a driver's record one line at its level (DEBUG when redundant); drops it below
    `threshold` once it was demoted."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        driver = _driver(record.name)
        if driver is None:
            return True
        if any(driver == d and str(record.msg).startswith(m) for d, m in REDUNDANT):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        if record.levelno < self.threshold:
            return False
        message = " ".join(record.getMessage().split())  # one line, whatever the driver wrote
        if record.exc_info:
            message = f"{message}: {_exception_line(record.exc_info)}"
        record.msg, record.args = message, None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class MaskingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole text (message and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (tests swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: int | str = logging.INFO, fmt: str = SERVICE_FORMAT) -> None:
    """Install the one root handler (replacing any earlier one of ours) at `level`."""
    level_no = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "netra", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.netra = True  # type: ignore[attr-defined]
    handler.setLevel(level_no)
    handler.setFormatter(MaskingFormatter(fmt))
    handler.addFilter(DriverRecords(level_no))
    root.addHandler(handler)
    root.setLevel(level_no)


def configure_cli_logging(*, verbose: bool = False) -> None:
    """For a command line: warnings and worse (INFO too with --verbose), one masked line each,
    unless the program that runs us (a test, an embedding tool) configured logging already."""
    if not logging.getLogger().handlers:
        configure_logging(logging.INFO if verbose else logging.WARNING, CLI_FORMAT)
