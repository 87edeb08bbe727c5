"""`invoke health`: one table (or JSON object) with status and latency of every configured service.

Default list: what this repository runs (backend /health, PostgreSQL, ClickHouse), found in
.netra/state.json, else the environment. Extra services (the wider platform: auth on 8081,
the frontend on 3000) come from `NETRA_HEALTH_EXTRA="name=url,..."` or a TOML file named by
`NETRA_HEALTH_CONFIG` (`[[service]] name, url, optional`); they are optional: unreachable is
shown, never a failure.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from netra_backend.redact import mask_url
from netra_devtools.errors import BadInput
from netra_devtools.state import load_state


@dataclass(frozen=True)
class Service:
    """One service to probe: kind http | postgres | clickhouse."""

    name: str
    kind: str
    target: str
    optional: bool = False


@dataclass
class Probe:
    """One probe's outcome: status pass | warn | fail | skipped, latency in ms, why."""

    name: str
    kind: str
    target: str
    optional: bool
    status: str
    latency_ms: float | None
    detail: str


def default_services(root: Path | None = None) -> list[Service]:
    """Backend, PostgreSQL and ClickHouse as the running stack (state.json) or env names them."""
    state = load_state(root)
    urls = state.get("urls") or {}
    port = (state.get("ports") or {}).get("backend") or os.environ.get("NETRA_BACKEND_PORT", "8000")
    backend = urls.get("backend") or f"http://127.0.0.1:{port}"
    clickhouse = urls.get("CLICKHOUSE_URL", os.environ.get("CLICKHOUSE_URL", ""))
    return [
        Service("backend", "http", backend.rstrip("/") + "/health"),
        Service(
            "postgres", "postgres", urls.get("DATABASE_URL") or os.environ.get("DATABASE_URL", "")
        ),
        Service("clickhouse", "clickhouse", clickhouse, optional=True),
    ]


def extra_services() -> list[Service]:
    """Optional services from NETRA_HEALTH_EXTRA and the NETRA_HEALTH_CONFIG file."""
    extras: list[Service] = []
    for item in filter(
        None, (p.strip() for p in os.environ.get("NETRA_HEALTH_EXTRA", "").split(","))
    ):
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise BadInput(f"NETRA_HEALTH_EXTRA: expected name=http(s)://..., got {item!r}")
        extras.append(Service(name.strip(), "http", url.strip(), optional=True))
    config = os.environ.get("NETRA_HEALTH_CONFIG")
    if config:
        import tomllib

        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
            entries = data.get("service", [])
            extras += [
                Service(e["name"], "http", e["url"], bool(e.get("optional", True))) for e in entries
            ]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise BadInput(f"NETRA_HEALTH_CONFIG {config}: {exc}") from None
    return extras


def probe(service: Service, timeout: float) -> Probe:
    """Probe one service; never raises (a crash is a `fail` with the reason)."""
    started = time.perf_counter()
    try:
        status, detail = _PROBES[service.kind](service.target, timeout)
    except Exception as exc:  # unreachable, refused, timed out, bad answer
        status, detail = (
            "fail",
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
        )
    latency = round((time.perf_counter() - started) * 1000, 1)
    if status == "fail" and service.optional:
        status, detail = "warn", f"optional, unreachable: {detail}"
    return Probe(
        service.name,
        service.kind,
        mask_url(service.target),
        service.optional,
        status,
        latency if status != "skipped" else None,
        mask_url(detail),
    )


def _http(url: str, timeout: float) -> tuple[str, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body, code = response.read(65536), response.status
    except urllib.error.HTTPError as exc:
        body, code = exc.read(65536), exc.code
    try:
        reported = json.loads(body).get("status")
    except (ValueError, AttributeError):
        reported = None
    if reported in ("pass", "warn", "fail"):
        return reported, f"HTTP {code}, status {reported}"
    return ("pass" if code < 400 else "fail"), f"HTTP {code}"


def _postgres(url: str, timeout: float) -> tuple[str, str]:
    if not url:
        return "fail", "no DATABASE_URL (start the stack with `invoke dev`, or set it)"
    import psycopg2  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = psycopg2.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname=u.database or "postgres",
        connect_timeout=max(1, int(timeout)),
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('server_version')")
            version = cur.fetchone()[0]
    finally:
        conn.close()
    return "pass", f"PostgreSQL {version}"


def _clickhouse(url: str, timeout: float) -> tuple[str, str]:
    if not url:
        return "skipped", "CLICKHOUSE_URL unset: analytics disabled"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "chdb":
        return "skipped", "in-process engine (chdb): checked by the backend's /health"
    host, port = (
        parts.hostname or "127.0.0.1",
        parts.port or (8443 if parts.scheme == "https" else 8123),
    )
    with socket.create_connection((host, port), timeout=timeout):
        pass
    status, detail = _http(f"{parts.scheme}://{host}:{port}/ping", timeout)
    return status, detail


_PROBES = {"http": _http, "postgres": _postgres, "clickhouse": _clickhouse}


def check(services: list[Service], timeout: float) -> dict[str, Any]:
    """Probe every service concurrently; overall status fail when a required one fails."""
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        probes = list(pool.map(lambda s: probe(s, timeout), services))
    statuses = {p.status for p in probes}
    overall = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    return {"status": overall, "services": [asdict(p) for p in probes]}


def report(*, as_json: bool, timeout: float, root: Path | None = None) -> int:
    """Print the health table (or JSON); exit code 1 when a required service fails."""
    if timeout <= 0:
        raise BadInput(f"--timeout must be positive, got {timeout}")
    result = check(default_services(root) + extra_services(), timeout)
    if as_json:
        print(json.dumps(result))
    else:
        _table(result)
    return 1 if result["status"] == "fail" else 0


def _table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"pass": "green", "warn": "yellow", "fail": "red", "skipped": "dim"}
    table = Table(title=f"health: {result['status']}", title_justify="left")
    for column in ("service", "status", "latency", "target", "detail"):
        table.add_column(column)
    for p in result["services"]:
        c = colours.get(p["status"], "white")
        latency = "-" if p["latency_ms"] is None else f"{p['latency_ms']:.0f} ms"
        name = p["name"] + (" (optional)" if p["optional"] else "")
        table.add_row(name, f"[{c}]{p['status']}[/{c}]", latency, p["target"], p["detail"])
    Console(highlight=False).print(table)
