"""Drivers' log records through our configuration: one masked line at the level they deserve."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from netra_backend.logging_setup import configure_logging


@pytest.fixture
def our_logging() -> Iterator[None]:
    """configure_logging on the root logger, then the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    for handler in handlers:  # pytest's capture handlers: only ours writes during the test
        root.removeHandler(handler)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _driver_failure(logger: str, message: str) -> None:
    try:
        raise ConnectionRefusedError(
            "HTTPConnectionPool(host='ch', port=8123): url: http://default:Ch-Secret9@ch:8123/\nmore"
        )
    except ConnectionRefusedError:
        logging.getLogger(logger).warning(message, exc_info=True)


def test_the_unexpected_http_driver_exception_is_debug(
    our_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    _driver_failure(
        "clickhouse_connect.driver._backend.http_sync", "Unexpected Http Driver Exception"
    )
    assert capsys.readouterr().err == ""
    configure_logging("DEBUG")
    _driver_failure(
        "clickhouse_connect.driver._backend.http_sync", "Unexpected Http Driver Exception"
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and " DEBUG clickhouse_connect" in lines[0]
    assert "ConnectionRefusedError: HTTPConnectionPool" in lines[0] and "Ch-Secret9" not in lines[0]


def test_other_driver_warnings_keep_their_level_on_one_masked_line(
    our_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    _driver_failure("urllib3.connectionpool", "Connection pool is full, discarding connection: %s")
    logging.getLogger("psycopg2").warning("dsn host=db password=Pg-Secret7\ndbname=x")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(" WARNING " in line for line in lines)
    assert "Traceback" not in lines[0] and "Ch-Secret9" not in lines[0]
    assert lines[1].endswith("dsn host=db password=*** dbname=x")


def test_our_own_errors_keep_their_traceback_masked(
    our_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    try:
        raise RuntimeError("postgresql://app:Pg-Secret7@db/netra down")
    except RuntimeError:
        logging.getLogger("netra_backend.health").exception("health refresh failed")
    err = capsys.readouterr().err
    assert "Traceback" in err and "Pg-Secret7" not in err and "app:***@db" in err
