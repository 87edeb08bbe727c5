"""Log-source helpers: --since parsing and compose prefixes mapped back to services."""

from __future__ import annotations

import pytest

from netra_devtools.docker.sources import SourceError, file_source, parse_since, service_from_prefix

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", NOW - 600),
        ("2h", NOW - 7200),
        ("1d", NOW - 86400),
        ("45s", NOW - 45),
        ("1700000000", 1_700_000_000),
        ("2023-11-14T22:13:20Z", 1_700_000_000),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000),
    ],
)
def test_since_accepts_docker_formats(text: str, expected: float) -> None:
    assert parse_since(text, now=NOW) == int(expected)


@pytest.mark.parametrize("text", ["yesterday", "10 minutes", "-5m", ""])
def test_since_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since(text, now=NOW)


@pytest.mark.parametrize(
    ("line", "service"),
    [
        ("backend-1  | INFO started", "backend"),
        ("netra-backend-1  | x", "backend"),
        ("netra_backend_1 | x", "backend"),
        ("clickhouse-server-2 | x", "clickhouse-server"),
        ("no prefix here", None),
    ],
)
def test_compose_prefix_names_the_service(line: str, service: str | None) -> None:
    assert service_from_prefix(line, "netra") == service


def test_missing_log_file_is_a_source_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SourceError, match="cannot read"):
        file_source(str(tmp_path / "absent.log"))
