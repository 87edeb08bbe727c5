"""Local mode: persistent PostgreSQL, migrations, embedded analytics and the backend, no Docker.

Everything started is recorded in `.netra/state.json` (pid + create time) as it starts, so a
crash part-way still leaves `invoke down` enough to clean up. `stop()` undoes `start()` in
reverse order; the foreground loop turns Ctrl-C and SIGTERM into that stop.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_backend.redact import mask_url
from netra_devtools import procs
from netra_devtools.errors import StackError
from netra_devtools.launcher import display, steps
from netra_devtools.ports import port_is_free
from netra_devtools.state import clear_state, save_state

PREFERRED_POSTGRES_PORT = 5432
PREFERRED_CLICKHOUSE_PORT = 8123
DATABASE_NAME = "netra"


class PortBusy(StackError):
    """The backend's port is taken before anything started."""


def rotate_log(log: Path) -> Path:
    """Keep one previous run as `<name>.1`, so readers of `*.log` (`invoke logs`, the doctor)
    see only this run: a failure a restart already cured is not reported again."""
    if log.exists():
        os.replace(log, log.with_name(log.name + ".1"))
    return log


def pick_port(preferred: int) -> int:
    """`preferred` when free, else an ephemeral port (a second stack must not collide)."""
    from netra_devtools.services.postgres import free_port

    return preferred if port_is_free(preferred) else free_port()


@dataclass
class LocalOptions:
    """What `invoke dev --mode local` was asked to do."""

    root: Path
    backend_port: int = 8000
    postgres_port: int | None = None
    clickhouse_port: int | None = None
    no_clickhouse: bool = False
    ready_timeout: float = 60.0


@dataclass
class LocalStack:
    """The processes local mode started, and how to stop them."""

    options: LocalOptions
    out: Any
    cluster: Any = None
    analytics: Any = None
    backend: Any = None
    state: dict[str, Any] = field(default_factory=dict)

    def _save(self) -> None:
        save_state(self.state, self.options.root)
        with contextlib.suppress(OSError):
            os.chmod(self.options.root / "state.json", 0o600)  # it holds DATABASE_URL

    def _record(self, name: str, pid: int) -> None:
        self.state["processes"].append(procs.record(name, pid).as_dict())
        self._save()

    def start(self) -> dict[str, Any]:
        """Start every part, record it, wait for the backend; return the state (mark_ready next)."""
        opts = self.options
        if not port_is_free(opts.backend_port):
            holder = steps.describe_port_holder(opts.backend_port)
            raise PortBusy(
                f"port {opts.backend_port} is in use ({holder}): run `invoke fix-port --port "
                f"{opts.backend_port}`, or start on another port with `invoke dev --port N`"
            )
        self.state = {"mode": "local", "ready": False, "processes": [], "ports": {}, "urls": {}}
        self._record("launcher", os.getpid())
        env = self._start_postgres()
        self._run_migrations(env["DATABASE_URL"])
        env.update(self._start_analytics())
        self._start_backend(env)
        return self.state

    def mark_ready(self) -> None:
        """Record that the stack is up (a detached launcher's parent waits for this)."""
        self.state["ready"] = True
        self._save()

    def _start_postgres(self) -> dict[str, str]:
        from netra_devtools.services import postgres

        root = self.options.root
        port = self.options.postgres_port or pick_port(PREFERRED_POSTGRES_PORT)
        self.cluster = postgres.open_persistent(root, port=port)
        self._record("postgres", self.cluster.pid())
        url = ensure_database(self.cluster, DATABASE_NAME)
        self.state["ports"]["postgres"] = port
        self.state["urls"]["DATABASE_URL"] = url
        self.state["postgres"] = {
            "data_dir": str(self.cluster.data_dir),
            "engine": self.cluster.binaries.engine,
            "major": self.cluster.binaries.major,
            "port": port,
        }
        self._save()
        display.step(self.out, "postgres", "ok", f"{mask_url(url)} ({self.cluster.data_dir.name})")
        return {"DATABASE_URL": url}

    def _run_migrations(self, url: str) -> None:
        result = steps.run_migrations(url)
        display.step(self.out, "migrations", result.status, result.detail)
        if result.status == "failed":
            raise StackError(result.detail)

    def _start_analytics(self) -> dict[str, str]:
        if self.options.no_clickhouse:
            display.step(self.out, "analytics", "disabled", "--no-clickhouse: analytics disabled")
            return {"CLICKHOUSE_URL": ""}
        port = self.options.clickhouse_port or pick_port(PREFERRED_CLICKHOUSE_PORT)
        result = steps.start_analytics(self.options.root / "clickhouse", port)
        display.step(self.out, "analytics", result.status, result.detail)
        if not result.ok:
            return {"CLICKHOUSE_URL": ""}
        self.analytics = result.data["handle"]
        pid = steps.analytics_pid(self.analytics)
        if pid is not None:
            self._record("clickhouse", pid)
        self.state["ports"]["clickhouse"] = port
        self.state["urls"]["CLICKHOUSE_URL"] = result.data["url"]
        self._save()
        return {"CLICKHOUSE_URL": result.data["url"]}

    def _start_backend(self, extra_env: dict[str, str]) -> None:
        available = steps.backend_available()
        if not available.ok:
            display.step(self.out, "backend", "unavailable", available.detail)
            return
        port = self.options.backend_port
        env = {**os.environ, "NETRA_ENV": "development", **extra_env}
        # the spool lives in the state directory, where the doctor looks for it
        env.setdefault("CLICKHOUSE_SPOOL_DIR", str(self.options.root / "spool"))
        self.state["spool_dir"] = env["CLICKHOUSE_SPOOL_DIR"]
        log = rotate_log(self.options.root / "logs" / "backend.log")
        self.backend = procs.spawn(steps.backend_command(port), env=env, log=log)
        self._record("backend", self.backend.pid)
        self.state["ports"]["backend"] = port
        self.state["urls"]["backend"] = f"http://127.0.0.1:{port}"
        self.state["logs"] = {"backend": str(log)}
        self._save()
        wait_for_backend(self.backend, port, log, self.options.ready_timeout)
        display.step(self.out, "backend", "ok", f"http://127.0.0.1:{port} ready")

    def stop(self) -> None:
        """Stop what start() started, newest first; clear the recorded state."""
        if self.backend is not None:
            procs.stop_tree(self.backend.pid)
            with contextlib.suppress(Exception):
                self.backend.wait(5)
        if self.analytics is not None:
            steps.stop_analytics(self.analytics)
        if self.cluster is not None:
            self.cluster.stop()
        clear_state(self.options.root)

    def watch(self, echo: Any = None) -> None:
        """Block until Ctrl-C/SIGTERM (KeyboardInterrupt) or until a part dies; echo backend logs."""
        log = self.options.root / "logs" / "backend.log"
        position = log.stat().st_size if log.exists() else 0
        records = [
            procs.ProcessRecord(**p) for p in self.state["processes"] if p["name"] != "launcher"
        ]
        while True:
            time.sleep(0.5)
            if echo is not None and log.exists():
                with open(log, encoding="utf-8", errors="replace") as handle:
                    handle.seek(position)
                    for line in handle.read().splitlines():
                        echo(line)
                    position = handle.tell()
            if self.backend is not None and self.backend.poll() is not None:
                raise StackError(
                    f"backend exited with code {self.backend.returncode}: {log_tail(log)}"
                )
            for rec in records:
                if not procs.is_same_process(rec.pid, rec.create_time):
                    raise StackError(f"{rec.name} (pid {rec.pid}) stopped unexpectedly")


def ensure_database(cluster: Any, name: str) -> str:
    """Create database `name` on first use; return its URL."""
    import psycopg2  # type: ignore[import-untyped]

    conn = psycopg2.connect(
        host=cluster.host,
        port=cluster.port,
        user="postgres",
        password=cluster.password,
        dbname="postgres",
        connect_timeout=10,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            exists = cur.fetchone() is not None
    finally:
        conn.close()
    if exists:
        return str(cluster.url(name))
    return str(cluster.create_database(name))


def wait_for_backend(process: Any, port: int, log: Path, timeout: float) -> None:
    """Poll /health/ready until 200; fail with the log tail when the process exits or time runs out."""
    url = f"http://127.0.0.1:{port}/health/ready"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"backend exited with code {process.returncode}: {log_tail(log)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise StackError(f"backend not ready after {timeout:.0f}s at {url}: {log_tail(log)}")


def log_tail(log: Path, lines: int = 3) -> str:
    """The last lines of a log file, joined for a one-line message."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"
