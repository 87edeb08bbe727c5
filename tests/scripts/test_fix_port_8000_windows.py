"""scripts/fix_port_8000_windows.py (invoke fix-port) run as a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.scripts import run_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fix_port_8000_windows.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_script(SCRIPT.name, *args)


def test_frees_a_busy_port_and_exits_0(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["freed"] is True
    assert [(a["pid"], a["outcome"]) for a in data["actions"]] == [(child.pid, "terminated")]
    assert child.wait(timeout=5) is not None


def test_dry_run_kills_nothing(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["actions"][0]["outcome"] == "would terminate"
    time.sleep(0.2)
    assert child.poll() is None


def test_nothing_to_free_exits_0() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _run("--port", str(port))
    assert done.returncode == 0
    assert "nothing to free" in done.stdout


@pytest.mark.parametrize(
    "args", [["--port", "abc"], ["--port", "0"], ["--port", "-1"], ["--port", "70000"],
             ["--port", ""], ["--timeout", "soon"]]
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(args: list[str]) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_invoke_fix_port_dry_run(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "fix-port", "--port", str(port), "--dry-run", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["actions"][0]["pid"] == child.pid
    assert child.poll() is None


def test_in_process_human_report_says_the_port_binds_now(
    spawn_listener: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_devtools.ports.cli import main

    child, port = spawn_listener()
    assert main(["fix", "--port", str(port), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would terminate: " in out and f"pid {child.pid}" in out
    assert child.poll() is None
    assert main(["fix", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    assert "terminated: " in out and f"pid {child.pid}" in out and "binds now" in out
