"""`invoke health`: one table (or JSON object) with status and latency of every configured service.

Default list: what this repository runs (backend /health, PostgreSQL, ClickHouse), at the URLs the
user set (environment, `.env`), else those of the local stack in .netra/state.json, running or
stopped; the first line says which. Extra services (the wider platform: auth on 8081, the frontend
on 3000) come from `NETRA_HEALTH_EXTRA="name=url,..."` or a TOML file named by
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
from netra_devtools.launcher.errors_text import describe_error
from netra_devtools.state import (
    STOPPED,
    choose_url,
    load_state,
    stack_origin,
    stack_status,
    state_label,
)

TABLE_WIDTH = 80  # --wide lifts it


@dataclass(frozen=True)
class Service:
    """One service to probe: kind http | postgres | clickhouse; `origin`: where its URL came from."""

    name: str
    kind: str
    target: str
    optional: bool = False
    origin: str = ""


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
    origin: str


def default_services(root: Path | None = None) -> list[Service]:
    """Backend, PostgreSQL and ClickHouse: the user's URLs win, else the recorded stack's."""
    state = load_state(root)
    database = choose_url("DATABASE_URL", state)
    clickhouse = choose_url("CLICKHOUSE_URL", state)
    recorded = (state.get("urls") or {}).get("backend")
    port = os.environ.get("NETRA_BACKEND_PORT", "8000")
    backend, origin = (
        (recorded, stack_origin(state))
        if recorded
        else (f"http://127.0.0.1:{port}", "NETRA_BACKEND_PORT or its default")
    )
    return [
        Service("backend", "http", backend.rstrip("/") + "/health", origin=origin),
        Service("postgres", "postgres", database.url, origin=database.origin),
        Service("clickhouse", "clickhouse", clickhouse.url, True, clickhouse.origin),
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
        extras.append(Service(name.strip(), "http", url.strip(), True, "NETRA_HEALTH_EXTRA"))
    config = os.environ.get("NETRA_HEALTH_CONFIG")
    if config:
        import tomllib

        try:
            data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
            extras += [
                Service(e["name"], "http", e["url"], bool(e.get("optional", True)), config)
                for e in data.get("service", [])
            ]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            raise BadInput(f"NETRA_HEALTH_CONFIG {config}: {describe_error(exc)}") from None
    return extras


def probe(service: Service, timeout: float, fix: str = "") -> Probe:
    """Probe one service; never raises (a crash is a `fail` with the reason and `fix`)."""
    started = time.perf_counter()
    try:
        status, detail = _PROBES[service.kind](service.target, timeout)
    except Exception as exc:  # unreachable, refused, timed out, bad answer
        status, detail = "fail", describe_error(exc, timeout=timeout) + (f": {fix}" if fix else "")
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
        service.origin,
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
        return "fail", "no DATABASE_URL: start the stack with `invoke dev`, or set DATABASE_URL"
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


def _fix(service: Service, stack: str) -> str:
    """What to do when `service` does not answer, given where its URL came from."""
    if service.origin.endswith(" stack"):  # stopped: the first line already says how to start it
        return "" if stack == STOPPED else "`invoke logs` shows why"
    if service.name in ("backend", "postgres"):
        return "start the stack with `invoke dev`"
    return ""


def check(services: list[Service], timeout: float, stack: str = "") -> dict[str, Any]:
    """Probe every service concurrently; overall status fail when a required one fails."""
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        probes = list(pool.map(lambda s: probe(s, timeout, _fix(s, stack)), services))
    statuses = {p.status for p in probes}
    overall = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    return {"status": overall, "services": [asdict(p) for p in probes]}


def subject(root: Path | None) -> dict[str, str]:
    """What was checked, for the first line and for --json: the recorded stack, if any."""
    state = load_state(root)
    status = stack_status(state)
    if not status:
        text = f"no stack recorded in {state_label(root)}: the URLs your environment names"
    else:
        text = f"{stack_origin(state)} ({state_label(root)})"
        if status == STOPPED:
            text += ": `invoke dev --detach` starts it again"
    return {"stack": status, "state_file": state_label(root), "text": text}


def report(*, as_json: bool, timeout: float, root: Path | None = None, wide: bool = False) -> int:
    """Print the health table (or JSON); exit code 1 when a required service fails."""
    if timeout <= 0:
        raise BadInput(f"--timeout must be positive, got {timeout}")
    services = default_services(root) + extra_services()
    about = subject(root)
    if as_json:
        result = check(services, timeout, about["stack"])
    else:  # a probe may wait its whole --timeout
        from netra_devtools.launcher.display import console, waiting

        with waiting(console(stderr=True), f"probing {len(services)} services"):
            result = check(services, timeout, about["stack"])
    result["subject"] = about
    result["summary"] = f"health: {result['status']} - {about['text']}"
    if as_json:
        print(json.dumps(result))
    else:
        _table(result, wide=wide)
    return 1 if result["status"] == "fail" else 0


def _table(result: dict[str, Any], *, wide: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if wide:
        console = Console(highlight=False, width=1000)
    elif console.width > TABLE_WIDTH:
        console = Console(highlight=False, width=TABLE_WIDTH)
    console.print(result["summary"], markup=False, soft_wrap=True)
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "skipped": "dim"}
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("service", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("latency", justify="right", no_wrap=True)
    if wide:
        table.add_column("target", no_wrap=True)
        table.add_column("from", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for p in result["services"]:
        c = colours.get(p["status"], "white")
        latency = "-" if p["latency_ms"] is None else f"{p['latency_ms']:.0f} ms"
        name = p["name"] + (" (optional)" if p["optional"] else "")
        where = [p["target"] or "-", p["origin"] or "-"] if wide else []
        table.add_row(name, f"[{c}]{p['status']}[/{c}]", latency, *where, p["detail"])
    console.print(table)
    if not wide:  # paths on their own lines, never wrapped (the terminal may fold them)
        for p in result["services"]:
            origin = f" ({p['origin']})" if p["origin"] else ""
            line = f"  {p['name']:<11} {p['target'] or '-'}{origin}"
            console.print(line, markup=False, soft_wrap=True)
