"""`python -m netra_backend` and `invoke serve`: one line and the right exit code before uvicorn starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from netra_devtools.services import faults
from tests.support.skips import console_script

REPO = Path(__file__).resolve().parents[2]
SECRET = "Top-Secret-99x"


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NETRA_", "CLICKHOUSE_"))}
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        args, env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def _backend(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "netra_backend", "--port", "1"], env, cwd)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": f"postgresql://app:{SECRET}@db:notaport/netra"}, "DATABASE_URL"),
        ({"DATABASE_URL": f"mysql://app:{SECRET}@db/netra"}, "DATABASE_URL"),
        ({"CLICKHOUSE_URL": f"ftp://app:{SECRET}@ch/netra"}, "CLICKHOUSE_URL"),
        ({"NETRA_ENV": "prod"}, "NETRA_ENV"),
        ({"NETRA_ENV": "production"}, "DATABASE_URL"),  # the default password is a placeholder
    ],
)
def test_bad_settings_exit_2_with_one_masked_line(env, variable, tmp_path):
    result = _backend(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable}")
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unreachable_database_exits_1_naming_host_port_and_fix(tmp_path):
    with faults.refusing() as (host, port):
        result = _backend(
            {
                "DATABASE_URL": f"postgresql://app:{SECRET}@{host}:{port}/netra",
                "DB_CONNECT_RETRIES": "2",
                "DB_RETRY_BACKOFF_S": "0.05",
            },
            tmp_path,
        )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert f"{host}:{port}" in errors[0] and "after 2 attempt(s)" in errors[0]
    assert "start PostgreSQL" in errors[0]
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_invoke_serve_points_to_fix_port_when_taken(tmp_path):
    invoke = console_script("invoke")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = _run([str(invoke), "serve", "--port", str(port)], {}, REPO)
    assert result.returncode == 1
    # one sentence: who holds it (the port doctor's verdict), then both fixes
    (line,) = result.stderr.strip().splitlines()
    # this process holds it, named as the system names it (`python`, or `pytest` under nox)
    assert line.startswith(f"error: port {port} is in use by {psutil.Process().name()} ")
    assert f"(pid {os.getpid()})" in line
    assert f": run `invoke fix-port --port {port}` to free it, or use another port with " in line


def test_invoke_serve_runs_the_backend_on_the_given_port(database_url, tmp_path):
    import time

    import httpx

    from netra_devtools.services.backend import free_port

    invoke = console_script("invoke")
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NETRA_", "CLICKHOUSE_"))}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(invoke), "-r", str(REPO), "serve", "--port", str(port)],
            env={**base, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"},
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if (
                        httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code
                        == 200
                    ):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            proc.terminate()
            code = proc.wait(15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth.
    assert code in (0, -15), log.read_text()
    assert "Application shutdown complete" in log.read_text()
