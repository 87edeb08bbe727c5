"""Run `python -m netra_backend` as a child process on a free loopback port (tests, benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from netra_devtools.errors import NetraDevtoolsError

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BackendDidNotStart(NetraDevtoolsError, RuntimeError):
    """The backend exited or did not answer in time; the message carries its log tail."""


@dataclass
class BackendProcess:
    """A running backend: its process, address and log file."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float
    host: str = HOST
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """http://host:port"""
        return f"http://{self.host}:{self.port}"

    def log_text(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, path: str, status: int, timeout: float) -> float:
        """Poll `path` until it answers `status`; seconds since the process started."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BackendDidNotStart(
                        f"backend exited with {self.proc.returncode}: {self.log_text()[-2000:]}"
                    )
                try:
                    if client.get(path).status_code == status:
                        return time.perf_counter() - self.started_at
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise BackendDidNotStart(f"{path} did not answer {status} within {timeout} s: "
                                 f"{self.log_text()[-2000:]}")  # fmt: skip

    def stop(self, timeout: float = 15.0) -> int:
        """Terminate (then kill) the process; its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self._log is not None:
            self._log.close()
        return int(self.proc.returncode)


def start_backend(
    env: dict[str, str],
    *,
    port: int | None = None,
    log_dir: Path | None = None,
    wrapper: Sequence[str] = (),
) -> BackendProcess:
    """Start the backend with `env` on top of os.environ (NETRA_*/CLICKHOUSE_* cleared first);
    `wrapper` goes before the command (e.g. `nsenter -t PID -m --`: another mount namespace)."""
    port = port or free_port()
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLICKHOUSE_", "NETRA_", "DB_", "HEALTH_")) and k != "DATABASE_URL"
    }
    full_env.update(env)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="netra-backend-"))
    log_path = log_dir / f"backend-{port}.log"
    log = open(log_path, "wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*wrapper, sys.executable, "-m", "netra_backend", "--host", HOST, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=full_env,
        cwd=log_dir,  # a .env in the caller's directory must not leak into the child
    )
    return BackendProcess(proc=proc, port=port, log_path=log_path, started_at=started, _log=log)
