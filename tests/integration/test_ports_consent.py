"""The consent rule, in the library (fix-port and `invoke doctor --fix` both follow it), on each
path: an orphan of ours, our running stack, a foreign process (asked, declined, no one to ask),
--force, and the processes that are never signalled."""

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

from netra_devtools.compat import LINUX, WINDOWS, is_root
from netra_devtools.ports import diagnose, free
from netra_devtools.state import save_state
from tests.support.skips import by_design


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **processes: int) -> None:
    """Write .netra/state.json as the launcher does: name → pid, with its create time."""
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    entries = [
        {"name": name, "pid": pid, "create_time": psutil.Process(pid).create_time()}
        for name, pid in processes.items()
    ]
    save_state({"mode": "local", "processes": entries})


class Person:
    """Answers the y/N questions free() asks, and remembers them."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer


def test_an_orphan_of_ours_is_freed_without_asking(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, port = spawn_listener()
    _record(tmp_path, monkeypatch, backend=child.pid)  # no launcher recorded: it is gone
    person = Person(answer=False)
    report = free(port, confirm=person, timeout=5)
    assert report.freed and person.questions == []
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "terminated")]
    assert any("an orphan of ours" in n and "'backend'" in n for n in report.notes)


def test_our_running_stack_is_left_to_invoke_down(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, port = spawn_listener()
    # this test process stands for the live launcher that recorded the stack
    _record(tmp_path, monkeypatch, launcher=os.getpid(), backend=child.pid)
    report = free(port, confirm=Person(answer=True), timeout=5)
    assert not report.freed and child.poll() is None
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "stack running")]
    assert [f.argv for f in report.next_steps] == [["invoke", "down"]]
    assert any("part of our running stack" in n for n in report.notes)
    assert free(port, force=True, timeout=5).freed  # --force stops any holder we may signal


def test_a_foreign_process_without_a_terminal_is_refused_with_the_force_command(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))  # nothing recorded: foreign
    child, port = spawn_listener()
    report = free(port, confirm=None, timeout=5)
    assert not report.freed
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "needs consent")]
    assert [f.command for f in report.next_steps] == [f"invoke fix-port --port {port} --force"]
    time.sleep(0.2)
    assert child.poll() is None and not diagnose(port).bindable


def test_a_foreign_process_is_stopped_only_when_the_person_says_yes(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    child, port = spawn_listener()
    declined = Person(answer=False)
    report = free(port, confirm=declined, timeout=5)
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "declined")]
    assert child.poll() is None and not report.freed
    (question,) = declined.questions
    assert f"pid {child.pid}" in question and "python" in question and str(port) in question
    agreed = Person(answer=True)
    report = free(port, confirm=agreed, timeout=5)
    assert len(agreed.questions) == 1
    assert report.freed and child.wait(timeout=5) is not None


def test_force_stops_a_foreign_process_without_asking(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    child, port = spawn_listener()
    person = Person(answer=False)
    report = free(port, force=True, confirm=person, timeout=5)
    assert report.freed and person.questions == []
    assert child.wait(timeout=5) is not None


@by_design(WINDOWS or not is_root(), "needs root to start another user's process")
def test_another_users_process_is_asked_about_and_forced_as_root(
    spawn_listener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRA_STATE_DIR", str(tmp_path))
    child, port = spawn_listener(user="nobody")
    diag = diagnose(port)
    (holder,) = diag.holders
    assert holder.user == "nobody"
    # check-port's suggestion is one that works for another user's process: --force
    suggested = [f.argv for f in diag.fixes if f.argv[:2] == ["invoke", "fix-port"]]
    assert suggested == [["invoke", "fix-port", "--port", str(port), "--force"]]
    report = free(port, timeout=5)
    assert [(a.pid, a.outcome) for a in report.actions] == [(child.pid, "needs consent")]
    assert child.poll() is None
    forced = free(port, force=True, timeout=5)
    assert forced.freed and forced.actions[0].outcome == "terminated"


def test_this_process_holding_the_port_is_never_signalled_even_with_force() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        report = free(port, force=True, timeout=2)
        assert [(a.pid, a.outcome) for a in report.actions] == [(os.getpid(), "protected")]
        assert not report.freed
    assert os.getpid() == psutil.Process().pid  # still here


# A listener that is, to the kernel and to ps, a process named sshd.
SSHD = """
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"sshd", 0, 0, 0)  # PR_SET_NAME
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)
"""


@by_design(not LINUX, "PR_SET_NAME is Linux's")
def test_a_system_daemon_is_never_signalled_even_with_force() -> None:
    daemon = subprocess.Popen([sys.executable, "-c", SSHD], stdout=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout is not None
        port = int(daemon.stdout.readline())
        assert psutil.Process(daemon.pid).name() == "sshd"
        diag = diagnose(port)
        assert not any(str(daemon.pid) in f.command for f in diag.fixes)
        assert any("sshd is a system daemon" in n for n in diag.notes)
        report = free(port, force=True, timeout=2)
        assert [(a.pid, a.outcome) for a in report.actions] == [(daemon.pid, "protected")]
        assert "system daemon" in report.actions[0].detail
        time.sleep(0.2)
        assert daemon.poll() is None
    finally:
        daemon.kill()
        daemon.wait(timeout=10)


def test_the_doctor_fix_follows_the_rule_and_leaves_a_foreign_holder(
    spawn_listener: Any, tmp_path: Path
) -> None:
    from netra_devtools.doctor.model import CheckResult, DoctorContext, Status
    from netra_devtools.doctor.port_check import free_orphan_ports

    child, port = spawn_listener()
    ctx = DoctorContext(env={}, state={}, state_directory=tmp_path)
    claimed = CheckResult(Status.FAIL, "", fixable=True, details={"orphans": [port]})
    outcome = free_orphan_ports(ctx, claimed)
    assert not outcome.applied and f"pid {child.pid}" in outcome.message
    assert "invoke fix-port" in outcome.message
    time.sleep(0.2)
    assert child.poll() is None


def test_the_doctor_fix_stops_an_orphan_of_ours(spawn_listener: Any, tmp_path: Path) -> None:
    from netra_devtools.doctor.model import DoctorContext
    from netra_devtools.doctor.port_check import check_ports, free_orphan_ports

    child, port = spawn_listener()
    state = {
        "mode": "local",
        "ports": {"backend": port},
        "processes": [
            {
                "name": "backend",
                "pid": child.pid,
                "create_time": psutil.Process(child.pid).create_time(),
            }
        ],
    }
    save_state(state, tmp_path)
    ctx = DoctorContext(env={}, state=state, state_directory=tmp_path)
    result = check_ports(ctx)
    assert result.fixable and result.details["orphans"] == [port], result.reason
    outcome = free_orphan_ports(ctx, result)
    assert outcome.applied, outcome.message
    assert child.wait(timeout=10) is not None and diagnose(port).bindable


def test_pid_1_and_the_kernels_are_never_signalled() -> None:
    from netra_devtools.ports._consent import protected_pids, protection
    from netra_devtools.ports._model import Holder

    for pid in (0, 1):
        assert protection(Holder(pid, name="init"), protected_pids())[0]


@by_design(WINDOWS, "POSIX daemons and systemd units")
@pytest.mark.parametrize(
    ("name", "cmdline", "unit", "reason", "fix"),
    [
        ("dockerd", ["/usr/bin/dockerd"], "", "dockerd is a system daemon", None),
        ("containerd", ["containerd"], "containerd.service", "containerd is a system daemon",
         ["sudo", "systemctl", "stop", "containerd.service"]),
        ("systemd-resolve", [], "", "systemd-resolve is a system daemon", None),
        ("postgres", ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main",
                      "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"], "",
         "the system's PostgreSQL server", ["sudo", "service", "postgresql", "stop"]),
        ("postgres", ["postgres", "-D", "/srv/pg"], "postgresql@15-main.service",
         "the system's PostgreSQL server", ["sudo", "systemctl", "stop", "postgresql@15-main.service"]),
        ("nginx", ["nginx: master process"], "nginx.service", "runs as the system service nginx.service",
         ["sudo", "systemctl", "stop", "nginx.service"]),
        # ours: a throwaway cluster, and any process outside a system unit
        ("postgres", ["postgres", "-D", "/tmp/netra-pg-x1"], "", "", None),
        ("python3", ["python3", "-m", "http.server"], "", "", None),
    ],
)  # fmt: skip
def test_system_daemons_and_services_are_recognised(
    name: str, cmdline: list[str], unit: str, reason: str, fix: list[str] | None
) -> None:
    from netra_devtools.ports._diagnose import os_ports
    from netra_devtools.ports._model import Holder

    found, instead = os_ports.classify_system(Holder(4242, name=name, cmdline=cmdline), unit)  # type: ignore[attr-defined]
    assert found == reason
    assert (instead.argv if instead else None) == fix
