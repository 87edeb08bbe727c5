"""free() against real processes: listeners stopped, everything else left alone, port binds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from netra_devtools.compat import WINDOWS, is_root
from netra_devtools.ports import diagnose, free
from netra_devtools.ports._free import execute, plan_free, signal_if_same
from tests.support.skips import by_design, require_module

# A Django/werkzeug-style reloader: the parent re-runs its own argv with RUN_MAIN=true and
# respawns the child whenever it exits; only the child listens.
RELOADER_APP = """
import os, socket, subprocess, sys, time
port = int(sys.argv[1])
if os.environ.get("RUN_MAIN") == "true":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    time.sleep(600)
else:
    while True:
        child = subprocess.Popen([sys.executable, *sys.argv], env={**os.environ, "RUN_MAIN": "true"})
        child.wait()
        time.sleep(0.2)
"""

# A plain supervisor that starts a listener with a different command and never respawns it.
PLAIN_PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], "127.0.0.1", sys.argv[2]])
child.wait()
import time; time.sleep(600)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = [h.pid for h in diagnose(port).holders if h.pid]
        if pids:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_listener_is_found_and_freed(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    assert [h.pid for h in diagnose(port).holders] == [child.pid]
    report = free(port, timeout=5)
    assert report.freed and not report.nothing_to_free
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "terminated")]
    assert child.wait(timeout=5) is not None
    assert report.diagnosis is not None and report.diagnosis.bindable


def test_process_that_does_not_listen_is_untouched(spawn_listener: Any) -> None:
    listener, port = spawn_listener()
    client = subprocess.Popen(
        [sys.executable, "-c",
         f"import socket,time; c=socket.create_connection(('127.0.0.1',{port})); time.sleep(600)"],
    )  # fmt: skip
    try:
        time.sleep(0.5)  # the client is connected to the port, but does not listen on it
        report = free(port, timeout=5)
        assert report.freed
        assert {a.pid for a in report.actions} == {listener.pid}
        assert client.poll() is None, "a process that only connects to the port was killed"
    finally:
        client.kill()
        client.wait(timeout=10)


def test_nothing_to_free_when_nobody_listens() -> None:
    port = _free_port()
    report = free(port)
    assert report.nothing_to_free and report.freed and report.actions == []
    assert any("nothing to free" in note for note in report.notes)


def test_holder_exiting_between_diagnose_and_kill_is_not_an_error(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    plan = plan_free(port)
    assert [t.pid for t in plan.targets] == [child.pid]
    child.kill()
    child.wait(timeout=10)
    report = execute(plan, timeout=5)
    assert report.freed
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "gone")]


def test_reused_pid_with_another_create_time_is_never_signalled(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    stale = psutil.Process(child.pid).create_time() - 100.0
    assert signal_if_same(child.pid, stale, kill=True) is False
    plan = plan_free(port)
    plan.targets[0].create_time = stale  # as if the pid now belonged to a newer process
    report = execute(plan, timeout=2)
    assert report.actions[0].outcome == "gone"
    assert child.poll() is None, "a process with a different create time was signalled"
    assert not report.freed


def test_reloader_parent_is_stopped_first_and_the_port_binds(tmp_path: Path) -> None:
    app = tmp_path / "reloader_app.py"
    app.write_text(RELOADER_APP, encoding="utf-8")
    port = _free_port()
    parent = subprocess.Popen([sys.executable, str(app), str(port)])
    try:
        worker = _wait_listening(port)[0]
        assert psutil.Process(worker).ppid() == parent.pid
        report = free(port, timeout=5)
        roles = {a.pid: (a.role, a.outcome) for a in report.actions}
        assert roles[parent.pid] == ("reloader", "terminated")
        assert roles[worker][0] == "listener"
        assert report.actions[0].pid == parent.pid, "the reloader must go first"
        assert parent.wait(timeout=5) is not None
        assert _gone(worker)
        time.sleep(0.5)  # a respawn would have happened by now
        assert report.freed and diagnose(port).bindable
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)


def test_other_parent_is_named_and_left_alone(tmp_path: Path) -> None:
    from tests.conftest import LISTENER_CODE

    script = tmp_path / "plain_parent.py"
    script.write_text(PLAIN_PARENT, encoding="utf-8")
    port = _free_port()
    parent = subprocess.Popen([sys.executable, str(script), LISTENER_CODE, str(port)])
    try:
        worker = _wait_listening(port)[0]
        report = free(port, timeout=5)
        assert report.freed
        assert [a.pid for a in report.actions] == [worker]
        assert any(f"parent {parent.pid}" in line for line in report.left_alone)
        assert parent.poll() is None, "a parent that is not a reloader was stopped"
    finally:
        parent.kill()
        parent.wait(timeout=10)


def test_ipv6_only_listener_is_found_and_freed(spawn_listener: Any) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        child, port = spawn_listener("::1")
    except pytest.fail.Exception:
        pytest.skip("cannot listen on ::1 here (IPv6 disabled)")
    diag = diagnose(port)
    assert [(h.pid, h.address) for h in diag.holders] == [(child.pid, "::1")]
    assert {b.address: b.status for b in diag.binds}["::1"] == "in_use"
    assert free(port, timeout=5).freed


def test_dry_run_kills_nothing(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    report = free(port, dry_run=True)
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "would terminate")]
    time.sleep(0.2)
    assert child.poll() is None and not diagnose(port).bindable


def test_orphan_recorded_in_state_is_called_ours(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netra_devtools.state import save_state

    child, port = spawn_listener()
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    create_time = psutil.Process(child.pid).create_time()
    save_state({"processes": [{"name": "backend", "pid": child.pid, "create_time": create_time}]})
    report = free(port, timeout=5)
    assert report.freed
    assert any("an orphan of ours" in note and "backend" in note for note in report.notes)


def test_holder_of_a_running_stack_is_not_called_an_orphan(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netra_devtools.state import save_state

    child, port = spawn_listener()
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    launcher = psutil.Process()  # this test stands for the live launcher that recorded the stack
    save_state(
        {
            "processes": [
                {"name": "launcher", "pid": launcher.pid, "create_time": launcher.create_time()},
                {
                    "name": "backend",
                    "pid": child.pid,
                    "create_time": psutil.Process(child.pid).create_time(),
                },
            ]
        }
    )
    report = free(port, dry_run=True)
    assert any("part of our running stack" in note for note in report.notes)
    assert not any("orphan" in note for note in report.notes)


@by_design(WINDOWS or not is_root(), "needs root to start another user's process")
def test_other_users_process_needs_force(spawn_listener: Any) -> None:
    child, port = spawn_listener(user="nobody")
    report = free(port)
    assert not report.freed
    assert report.actions[0].outcome == "skipped" and "--force" in report.actions[0].detail
    assert child.poll() is None
    forced = free(port, force=True, timeout=5)
    assert forced.freed and forced.actions[0].outcome == "terminated"


def test_own_process_and_ancestors_are_never_signalled() -> None:
    me = psutil.Process()
    for proc in [me, *me.parents()]:
        assert signal_if_same(proc.pid, proc.create_time()) is False
    assert os.getpid() == me.pid  # still here


def test_real_uvicorn_reload_supervisor_and_worker_are_both_stopped(tmp_path: Path) -> None:
    require_module("uvicorn")
    (tmp_path / "tiny_app.py").write_text(
        "async def app(scope, receive, send):\n    pass\n", encoding="utf-8"
    )
    port = _free_port()
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tiny_app:app", "--reload", "--port", str(port),
         "--reload-dir", str(tmp_path)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            workers = [c.pid for c in psutil.Process(supervisor.pid).children()]
            if workers and _wait_listening(port):
                break
            time.sleep(0.1)
        assert workers, "uvicorn --reload started no worker"
        holders = {h.pid for h in diagnose(port, complete=True).holders}
        assert supervisor.pid in holders and len(holders) == 2  # uvicorn shares the socket
        report = free(port, timeout=5)
        roles = {a.pid: a.role for a in report.actions}
        assert roles.get(supervisor.pid) == "reloader"
        assert report.actions[0].pid == supervisor.pid
        assert supervisor.wait(timeout=10) is not None
        assert all(_gone(pid) for pid in holders)
        assert report.freed and diagnose(port).bindable
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait(timeout=10)
