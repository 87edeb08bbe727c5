"""The embedded ClickHouse engine (chdb) behind a loopback HTTP endpoint, as a process.

chdb opens a data directory from one process only, so one bridge process owns the chdb session
and serves ClickHouse's HTTP interface (clickhouse_http.py) to everyone else: the backend, the
doctor and the tests all use stock clickhouse-connect, as with a real server. Run as
`python -m netra_devtools.services.clickhouse --data DIR --port N` so it can be stopped,
restarted on the same directory and port, or SIGKILLed like a real server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netra_devtools.errors import NetraDevtoolsError
from netra_devtools.procs import own_group
from netra_devtools.services.clickhouse_http import PASSWORD_ENV, ClickHouseStartError, serve
from netra_devtools.services.postgres import free_port

__all__ = ["ClickHouseStartError", "ClickHouseUnavailable", "EmbeddedClickHouse", "start_embedded"]
_MODULE = "netra_devtools.services.clickhouse"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


class ClickHouseUnavailable(NetraDevtoolsError, RuntimeError):
    """The embedded engine cannot run here (chdb missing, e.g. on Windows)."""


def chdb_available() -> bool:
    """True when the chdb package imports (the `embedded` extra, not on Windows)."""
    try:
        import chdb  # noqa: F401
    except Exception:  # ImportError, or a broken native library
        return False
    return True


class EmbeddedClickHouse:
    """A bridge subprocess on a fixed data directory and port; may be stopped and restarted."""

    def __init__(self, data_dir: Path, port: int, password: str = "") -> None:
        self.data_dir, self.port, self.password = Path(data_dir), port, password
        self.process: subprocess.Popen[bytes] | None = None
        handle, log = tempfile.mkstemp(prefix="netra-clickhouse-", suffix=".log")
        os.close(handle)
        self._log = Path(log)

    @property
    def url(self) -> str:
        """http://default:PASSWORD@127.0.0.1:PORT/default (mask it before printing)."""
        return f"http://default:{self.password}@127.0.0.1:{self.port}/default"

    @property
    def running(self) -> bool:
        """True while the bridge process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT_S) -> EmbeddedClickHouse:
        """Start the bridge and wait until /ping answers."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            _MODULE,
            "--data",
            str(self.data_dir),
            "--port",
            str(self.port),
        ]
        env = {**os.environ, PASSWORD_ENV: self.password}
        with open(self._log, "wb") as log:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, **own_group()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ClickHouseStartError(
                    f"bridge exited {self.process.returncode}: {self._tail()}"
                )
            if self.ping():
                return self
            time.sleep(0.05)
        self.kill()
        raise ClickHouseStartError(f"bridge did not answer within {timeout:.0f} s: {self._tail()}")

    def ping(self, timeout: float = 1.0) -> bool:
        """True when the bridge answers /ping (a direct connection: no HTTP proxy in between)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", "/ping")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def _tail(self) -> str:
        lines = self._log.read_text(errors="replace").strip().splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        return (errors or lines or ["(no output)"])[-1]

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop gracefully (SIGTERM), killing it if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the bridge, like a crashed server."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)
            self.process = None

    def destroy(self) -> None:
        """Stop and remove the log (the data directory belongs to the caller)."""
        self.stop()
        self._log.unlink(missing_ok=True)


def start_embedded(
    data_dir: Path | str, port: int | None = None, password: str = ""
) -> EmbeddedClickHouse:
    """Start the embedded engine on `data_dir` behind http://127.0.0.1:PORT."""
    if not chdb_available():
        raise ClickHouseUnavailable(
            "the embedded ClickHouse engine needs chdb: "
            '`python -m pip install -e ".[embedded]"` (no Windows wheel)'
        )
    return EmbeddedClickHouse(Path(data_dir), port or free_port(), password).start()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the bridge subprocess."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="chdb data directory (owned exclusively)")
    parser.add_argument("--port", type=int, required=True, help="loopback TCP port")
    args = parser.parse_args(argv)
    try:
        serve(args.data, args.port)
    except ClickHouseStartError as exc:
        print(f"error: {exc}", file=sys.stderr)  # the parent shows this line
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
