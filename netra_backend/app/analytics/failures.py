"""Turn a ClickHouse failure into one short sentence a developer can act on."""

from __future__ import annotations

import re

from netra_backend.app.analytics.clickhouse_config import ClickHouseConfig

_HTTP_STATUS = re.compile(r"HTTP status (\d{3})(?:, server response: (.{0,120}))?")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe_failure(exc: BaseException, config: ClickHouseConfig) -> str:
    """Why ClickHouse at `config.address` failed: refused, timed out, HTTP 5xx, reset, or other."""
    where = config.address
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    kinds = tuple(type(e) for e in chain)
    if any(issubclass(k, ConnectionRefusedError) for k in kinds) or "Connection refused" in text:
        return f"connection refused at {where}: is ClickHouse running? (CLICKHOUSE_URL)"
    if any(issubclass(k, TimeoutError) for k in kinds) or "timed out" in text:
        return (
            f"no answer from {where} within {config.connect_timeout_s:g} s (timed out): "
            "the server accepts connections but does not respond"
        )
    match = _HTTP_STATUS.search(text)
    if match:
        detail = re.sub(r"\s*\(for url [^)]*\)", "", match.group(2) or "").strip()
        return f"{where} answered HTTP {match.group(1)}" + (f": {detail}" if detail else "")
    if any(issubclass(k, ConnectionResetError) for k in kinds) or "reset" in text.lower():
        return f"connection reset by {where} mid-response"
    if "Connection broken" in text or "RemoteDisconnected" in text:
        return f"connection to {where} closed mid-response"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__} from {where}: {first[:200]}"
