"""scripts/test_backend_port_binding.py (invoke check-port) run as a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.scripts import run_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "test_backend_port_binding.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_script(SCRIPT.name, *args)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_busy_port_exits_1_with_the_holder_pid_in_json(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port), "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["bindable"] is False
    assert [h["pid"] for h in data["holders"]] == [child.pid]
    assert {b["address"]: b["status"] for b in data["binds"]}["127.0.0.1"] == "in_use"


def test_busy_port_human_output_names_the_pid(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port))
    assert done.returncode == 1
    assert f"pid {child.pid}" in done.stdout


def test_free_port_exits_0() -> None:
    port = _free_port()
    done = _run("--port", str(port), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == f"port {port} is free"


def test_host_option_checks_only_that_address(spawn_listener: Any) -> None:
    _child, port = spawn_listener("127.0.0.1")
    assert _run("--port", str(port), "--host", "::1", "--json").returncode == 0
    assert _run("--port", str(port), "--host", "127.0.0.1", "--json").returncode == 1


@pytest.mark.parametrize(
    "args",
    [["--port", "abc"], ["--port", "0"], ["--port", "-1"], ["--port", "70000"], ["--port", ""],
     ["--host", "not-an-address"], ["--host", ""]],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(args: list[str]) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_help_is_the_docstring() -> None:
    done = _run("--help")
    assert done.returncode == 0 and "Sample run" in done.stdout


def test_invoke_check_port_runs_the_same_script(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "check-port", "--port", str(port), "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["holders"][0]["pid"] == child.pid


def test_in_process_human_report_lists_holder_binds_and_fix(
    spawn_listener: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    child, port = spawn_listener()
    from netra_devtools.ports.cli import main

    assert main(["check", "--port", str(port)]) == 1
    out = capsys.readouterr().out
    assert f"pid {child.pid}" in out and "in_use" in out and f"kill {child.pid}" in out
