"""Throwaway (tests) and persistent (local mode) PostgreSQL clusters on loopback.

Which binaries run, and as whom, is decided in `pg_runtime`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from netra_devtools.errors import NetraDevtoolsError
from netra_devtools.services.pg_runtime import (
    PostgresBinaries,
    PostgresUnavailable,
    chown_tree,
    find_binaries,
    make_reachable,
    popen_as,
    reachable_home,
    run_as_user,
)

__all__ = [
    "ExternalServer",
    "PostgresBinaries",
    "PostgresCluster",
    "PostgresStartError",
    "PostgresUnavailable",
    "find_binaries",
    "free_port",
    "open_persistent",
    "persistent_data_dir",
    "persistent_home",
    "run_admin_sql",
    "run_as_user",
    "start_throwaway",
]

SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class PostgresStartError(NetraDevtoolsError, RuntimeError):
    """The cluster did not start; the message carries the tail of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    """One PostgreSQL cluster listening on 127.0.0.1:`port`, controlled through pg_ctl."""

    data_dir: Path
    binaries: PostgresBinaries
    port: int
    password: str
    host: str = "127.0.0.1"
    run_as: str | None = None
    throwaway: bool = True
    _workdir: Path | None = field(default=None, repr=False)

    @property
    def log_file(self) -> Path:
        """The server's log."""
        return self.data_dir / "server.log"

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg2") -> str:
        """A SQLAlchemy/libpq URL for `database` on this cluster."""
        return f"{driver}://{SUPERUSER}:{self.password}@{self.host}:{self.port}/{database}"

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        kwargs = popen_as(self.run_as)
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )

    def initialise(self) -> None:
        """initdb with password auth on TCP and settings for a loopback-only server."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.data_dir.parent / f".{self.data_dir.name}.pw"
        with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(self.password + "\n")  # 0600 from the start: no one else reads it
        make_reachable(self.data_dir.parent, self.run_as)
        chown_tree(self.data_dir, self.run_as)
        chown_tree(pwfile, self.run_as)
        try:
            result = self._run(
                [
                    self.binaries.exe("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-host=scram-sha-256",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--no-instructions",
                ],
                timeout=120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresStartError(
                f"initdb failed: {(result.stderr or result.stdout).strip()[-500:]}"
            )
        settings = [
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
            "log_min_messages = warning",
        ]
        if self.throwaway:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# netra-devtools\n" + "\n".join(settings) + "\n")

    def is_initialised(self) -> bool:
        """True when the data directory holds a cluster."""
        return (self.data_dir / "PG_VERSION").exists()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        result = self._run(
            [
                self.binaries.exe("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                f"-p {self.port}",
                "start",
            ],
            timeout=START_TIMEOUT_S + 10,
        )
        if result.returncode != 0 or not self.wait_ready(10):
            raise PostgresStartError(
                f"PostgreSQL did not start on {self.host}:{self.port}: {self.log_tail()}"
            )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (no error when it is not running)."""
        if self.is_initialised() and (self.data_dir / "postmaster.pid").exists():
            self._run(
                [
                    self.binaries.exe("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    "30",
                    "stop",
                ],
                timeout=45,
            )

    def pid(self) -> int | None:
        """The postmaster's pid, from postmaster.pid."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def wait_ready(self, timeout: float) -> bool:
        """True once the port accepts TCP connections, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 1):
                return True
            time.sleep(0.05)
        return False

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the server log, for error messages."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return " | ".join(text.strip().splitlines()[-lines:])

    def create_database(self, name: str) -> str:
        """Create database `name` and return its URL."""
        self._admin_sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name`, disconnecting its sessions."""
        self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin_sql(self, sql: str) -> None:
        run_admin_sql(self.url(), sql)

    def destroy(self) -> None:
        """Stop the server and delete a throwaway cluster's files."""
        self.stop("immediate" if self.throwaway else "fast")
        if self.throwaway and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def start_throwaway(binaries: PostgresBinaries | None = None) -> PostgresCluster:
    """Start a fresh cluster in a temporary directory; `destroy()` removes it."""
    binaries = binaries or find_binaries()
    run_as = run_as_user()
    scratch = reachable_home(Path(tempfile.gettempdir()), run_as, "tmp")
    workdir = Path(tempfile.mkdtemp(prefix="netra-pg-", dir=scratch))
    cluster = PostgresCluster(
        data_dir=workdir / "data",
        binaries=binaries,
        port=free_port(),
        password=secrets.token_urlsafe(12),
        run_as=run_as,
        throwaway=True,
        _workdir=workdir,
    )
    try:
        cluster.initialise()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def persistent_home(root: Path) -> Path:
    """Where `root`'s clusters live: `root` itself, or a shared-cache home when the user that
    runs PostgreSQL cannot reach it (root in a private directory); `invoke reset` deletes both."""
    return reachable_home(root, run_as_user(), "state")


def persistent_data_dir(root: Path, binaries: PostgresBinaries) -> Path:
    """`.netra/pg-<engine>-<major>/` (or the same name in the shared-cache home of `.netra/`)."""
    return persistent_home(root) / f"pg-{binaries.engine}-{binaries.major}"


def open_persistent(
    root: Path, port: int | None = None, binaries: PostgresBinaries | None = None
) -> PostgresCluster:
    """Start (initialising on first use) the cluster kept under `root` (usually `.netra/`)."""
    binaries = binaries or find_binaries()
    data_dir = persistent_data_dir(root, binaries)
    secret_file = root / f"{data_dir.name}.password"
    root.mkdir(parents=True, exist_ok=True)
    if secret_file.exists() and (data_dir / "PG_VERSION").exists():
        password = secret_file.read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(12)
    cluster = PostgresCluster(
        data_dir=data_dir,
        binaries=binaries,
        port=port or free_port(),
        password=password,
        run_as=run_as_user(),
        throwaway=False,
    )
    if not cluster.is_initialised():
        cluster.initialise()
        secret_file.write_text(password + "\n", encoding="utf-8")
        with contextlib.suppress(OSError):
            os.chmod(secret_file, 0o600)
    cluster.start()
    return cluster


def run_admin_sql(url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on the server of `url`."""
    import psycopg2  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    conn = psycopg2.connect(
        host=parts.host,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=parts.database or "postgres",
        connect_timeout=10,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


class ExternalServer:
    """A server we did not start (e.g. CI's service container), named by a URL."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self._url = make_url(url).set(drivername="postgresql+psycopg2")

    def url(self, database: str = "postgres") -> str:
        """The URL of `database` on this server."""
        return self._url.set(database=database).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create database `name` and return its URL."""
        run_admin_sql(self.url(), f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name`, disconnecting its sessions."""
        run_admin_sql(self.url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
