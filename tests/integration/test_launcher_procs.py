"""Process groups with real children: a whole tree stops, nothing keeps listening, pid reuse is guarded."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from netra_devtools import procs
from netra_devtools.services.postgres import free_port

# A child that listens, starts a grandchild that listens too, and ignores SIGTERM only in the
# grandchild (the stubborn orphan the field report found holding the port).
_PARENT = """
import socket, subprocess, sys, time
port, child_port = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
subprocess.Popen([sys.executable, "-c", sys.argv[3], str(child_port)])
time.sleep(600)
"""
_CHILD = """
import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
time.sleep(600)
"""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_listening(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not _listening(port):
        assert time.monotonic() < deadline, f"nothing listened on {port}"
        time.sleep(0.05)


def test_stop_tree_leaves_nothing_listening_even_a_sigterm_ignoring_grandchild(
    tmp_path: Path,
) -> None:
    port, child_port = free_port(), free_port()
    proc = procs.spawn(
        [sys.executable, "-c", _PARENT, str(port), str(child_port), _CHILD],
        log=tmp_path / "tree.log",
    )
    try:
        _wait_listening(port)
        _wait_listening(child_port)
        started = time.monotonic()
        assert procs.stop_tree(proc.pid, grace=1)
        assert time.monotonic() - started < 8
        proc.wait(5)
        assert not _listening(port)
        assert not _listening(child_port)
    finally:
        procs.stop_tree(proc.pid, grace=0.1)


def test_stop_recorded_leaves_a_process_alone_when_create_time_does_not_match(
    tmp_path: Path,
) -> None:
    proc = procs.spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        real = procs.record("sleeper", proc.pid)
        impostor = procs.ProcessRecord("sleeper", proc.pid, real.create_time - 1000)
        assert procs.stop_recorded(impostor)  # "gone" from its point of view: pid was reused
        assert proc.poll() is None  # and the process that now owns the pid still runs
        assert procs.stop_recorded(real, grace=2)
        assert proc.wait(5) is not None
    finally:
        procs.stop_tree(proc.pid, grace=0.1)


def test_record_refuses_a_pid_that_does_not_run() -> None:
    proc = procs.spawn([sys.executable, "-c", "pass"])
    proc.wait(10)
    with pytest.raises(ProcessLookupError):
        procs.record("gone", proc.pid)


def test_stop_tree_reaches_a_group_member_whose_parent_already_exited(tmp_path: Path) -> None:
    port = free_port()
    # The parent starts a listening child and exits at once: the child is reparented to init,
    # so only its process group still ties it to what we started.
    proc = procs.spawn(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; subprocess.Popen(sys.argv[1:])",
            sys.executable,
            "-c",
            _CHILD,
            str(port),
        ],
    )
    try:
        _wait_listening(port)
        assert proc.wait(10) == 0
        assert procs.stop_tree(proc.pid, grace=1)
        assert not _listening(port)
    finally:
        procs.stop_tree(proc.pid, grace=0.1)
