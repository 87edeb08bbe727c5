"""`invoke logs` in local mode: the backend's log file, history then new lines, known failures marked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from netra_devtools.state import save_state
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "dev_launcher.py"
PORT_IN_USE = (
    "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): "
    "address already in use"
)
PG_REFUSED = (
    "error: cannot reach PostgreSQL at 127.0.0.1:5432 after 5 attempt(s) (connection to server "
    'at "127.0.0.1", port 5432 failed: Connection refused)'
)


def _local_state(root: Path) -> Path:
    """A state directory as local mode leaves it: state.json naming the backend's log file."""
    log = root / "logs" / "backend.log"
    log.parent.mkdir(parents=True)
    log.write_text("INFO:     Started server process\n" + PORT_IN_USE + "\n", encoding="utf-8")
    save_state({"mode": "local", "processes": [], "logs": {"backend": str(log)}}, root)
    return log


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "NETRA_STATE_DIR": str(root)}


def test_logs_history_marks_known_failures_with_their_fix(tmp_path: Path) -> None:
    root = tmp_path / ".netra"
    _local_state(root)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "logs", "--no-follow"],
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "backend  | INFO:     Started server process"
    assert lines[1].startswith("backend  | ERROR:    [Errno 98]")
    assert "known failure port-in-use (windows_development) -> invoke fix-port" in lines[2]
    assert len(lines) == 3  # the healthy line has no finding


def test_logs_follow_annotates_lines_appended_while_following(tmp_path: Path) -> None:
    root = tmp_path / ".netra"
    log = _local_state(root)
    follower = subprocess.Popen(
        [sys.executable, str(SCRIPT), "logs", "--tail", "1"],
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert "Errno 98" in follower.stdout.readline()  # history: only the last line
        assert "known failure port-in-use" in follower.stdout.readline()
        time.sleep(0.3)  # the follower is now waiting for new lines
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(PG_REFUSED + "\n")
        assert follower.stdout.readline().startswith("backend  | error: cannot reach PostgreSQL")
        assert "known failure postgres-unreachable" in follower.stdout.readline()
        assert follower.poll() is None  # still following
    finally:
        follower.terminate()
        follower.wait(10)


def test_logs_without_a_stack_is_a_usage_error(tmp_path: Path) -> None:
    root = tmp_path / ".netra"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "logs", "--no-follow"],
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: no logs under")
