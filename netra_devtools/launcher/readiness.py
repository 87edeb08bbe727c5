"""When the local stack is ready: the backend's /health passes (not merely answers).

The backend connects to ClickHouse in the background, so /health answers `warn` ("connecting")
for a moment after /health/ready is 200. The launcher waits for `pass`. A `warn` that persists
with nothing still connecting (ClickHouse refused, rows that cannot be replayed) is the stack's
real state: the launcher says so instead of "ready", and does not wait for its whole timeout.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from netra_devtools.errors import StackError

WARN_SETTLES_AFTER_S = 3.0  # a warn this old, with nothing connecting, is not a start-up moment
POLL_S = 0.1


def fetch_health(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """The /health report (a 503 carries one too), or {} when nothing answers with JSON."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        body = exc.read(1 << 20)
    except OSError:  # refused, reset, timed out: not up yet
        return {}
    try:
        report = json.loads(body)
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def problems(report: dict[str, Any]) -> list[str]:
    """One clause per check that does not pass: `clickhouse:connection warn (degraded: ...)`."""
    found = []
    for key, items in (report.get("checks") or {}).items():
        for item in items:
            if item.get("status") != "pass":
                output = f" ({item['output']})" if item.get("output") else ""
                found.append(f"{key} {item.get('status')}{output}")
    return found or [str(report.get("output") or "no answer")]


def _connecting(report: dict[str, Any]) -> bool:
    return any(
        item.get("state") == "connecting"
        for items in (report.get("checks") or {}).values()
        for item in items
    )


def wait_for_health(process: Any, port: int, log: Path, timeout: float) -> dict[str, Any]:
    """Poll /health until it passes (or settles at warn); StackError with the log's last lines
    when the process exits or time runs out."""
    url = f"http://127.0.0.1:{port}/health"
    deadline = time.monotonic() + timeout
    settled_from: float | None = None
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"backend exited with code {process.returncode}: {log_tail(log)}")
        report = fetch_health(url)
        status = report.get("status")
        if status == "pass":
            return report
        if status == "warn" and not _connecting(report):
            settled_from = settled_from or time.monotonic()
            if time.monotonic() - settled_from >= WARN_SETTLES_AFTER_S:
                return report
        else:
            settled_from = None
        time.sleep(POLL_S)
    if report.get("status") == "warn":
        return report
    why = "; ".join(problems(report)) if report else "no answer"
    raise StackError(f"backend not ready after {timeout:.0f}s at {url} ({why}): {log_tail(log)}")


def log_tail(log: Path, lines: int = 3) -> str:
    """The last lines of a log file, joined for a one-line message."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"
