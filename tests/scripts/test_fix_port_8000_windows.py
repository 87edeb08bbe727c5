"""scripts/fix_port_8000_windows.py (invoke fix-port) run as a subprocess: with no terminal, and
on a real terminal (a pty) where it asks before stopping a process that is not ours."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.compat import WINDOWS
from tests.support.scripts import run_script
from tests.support.skips import by_design

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fix_port_8000_windows.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_script(SCRIPT.name, *args)


def test_force_frees_a_busy_port_and_exits_0(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port), "--force", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["freed"] is True
    assert [(a["pid"], a["outcome"]) for a in data["actions"]] == [(child.pid, "terminated")]
    assert child.wait(timeout=5) is not None


def test_dry_run_kills_nothing(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = _run("--port", str(port), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["actions"][0]["outcome"] == "would ask"
    done = _run("--port", str(port), "--dry-run", "--force", "--json")
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


def test_invoke_fix_port_follows_the_consent_rule(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "fix-port", "--port", str(port)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"invoke fix-port --port {port} --force" in done.stdout
    assert child.poll() is None


def test_without_a_terminal_a_foreign_process_is_refused_with_the_exact_force_command(
    spawn_listener: Any, tmp_path: Path
) -> None:
    child, port = spawn_listener()
    done = _run_with_state(tmp_path, "--port", str(port))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "needs consent" in done.stdout and f"pid {child.pid}" in done.stdout
    assert f"invoke fix-port --port {port} --force" in done.stdout
    time.sleep(0.2)
    assert child.poll() is None


def test_an_orphan_of_ours_is_freed_without_a_question(spawn_listener: Any, tmp_path: Path) -> None:
    import psutil

    from netra_devtools.state import save_state

    child, port = spawn_listener()
    started = psutil.Process(child.pid).create_time()
    save_state({"processes": [{"name": "backend", "pid": child.pid, "create_time": started}]},
               tmp_path)  # fmt: skip
    done = _run_with_state(tmp_path, "--port", str(port), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert [(a["pid"], a["outcome"]) for a in data["actions"]] == [(child.pid, "terminated")]
    assert child.wait(timeout=5) is not None


@by_design(WINDOWS, "a pty is POSIX; Windows consoles are not driven this way")
@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("n", 1), ("", 1)])
def test_on_a_terminal_it_asks_naming_the_process(
    spawn_listener: Any, tmp_path: Path, answer: str, code: int
) -> None:
    child, port = spawn_listener()
    returncode, screen = run_on_terminal(
        [sys.executable, str(SCRIPT), "--port", str(port)], answer, _state_env(tmp_path)
    )
    assert "[y/N]" in screen and f"pid {child.pid}" in screen and "Stop it?" in screen
    assert returncode == code, screen
    if answer == "y":
        assert child.wait(timeout=5) is not None and "binds now" in screen
    else:
        assert "declined" in screen and child.poll() is None


@by_design(WINDOWS, "a pty is POSIX; Windows consoles are not driven this way")
def test_on_a_terminal_force_does_not_ask(spawn_listener: Any, tmp_path: Path) -> None:
    child, port = spawn_listener()
    returncode, screen = run_on_terminal(
        [sys.executable, str(SCRIPT), "--port", str(port), "--force"], "n", _state_env(tmp_path)
    )
    assert returncode == 0, screen
    assert "[y/N]" not in screen and "binds now" in screen
    assert child.wait(timeout=5) is not None


def _state_env(state_dir: Path) -> dict[str, str]:
    """An environment whose .netra/state.json is `state_dir`'s (nothing of ours, unless written)."""
    # wide enough that no command is wrapped; no colours to strip
    return {**os.environ, "NETRA_STATE_DIR": str(state_dir), "COLUMNS": "200", "NO_COLOR": "1"}


def _run_with_state(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
        check=False, stdin=subprocess.DEVNULL, env=_state_env(state_dir),
    )  # fmt: skip


def run_on_terminal(argv: list[str], answer: str, env: dict[str, str]) -> tuple[int, str]:
    """Run `argv` on a new pseudo-terminal; type `answer` at the first y/N question."""
    import pty
    import re
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)  # fmt: skip
    os.close(slave)
    screen, answered = b"", False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every process on the terminal has closed it
                break
            screen += chunk
            if not answered and b"[y/N]" in screen:
                os.write(master, answer.encode() + b"\n")
                answered = True
        returncode = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return returncode, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode(errors="replace"))


def test_in_process_human_report_says_the_port_binds_now(
    spawn_listener: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_devtools.ports.cli import main

    child, port = spawn_listener()
    assert main(["fix", "--port", str(port), "--dry-run", "--force"]) == 0
    out = capsys.readouterr().out
    assert "would terminate: " in out and f"pid {child.pid}" in out
    assert child.poll() is None
    assert main(["fix", "--port", str(port), "--force"]) == 0
    out = capsys.readouterr().out
    assert "terminated: " in out and f"pid {child.pid}" in out and "binds now" in out
