"""diagnose() against real sockets: holders, bind tests, TIME_WAIT, host filter, privileged."""

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

from netra_devtools.compat import LINUX, WINDOWS, is_root
from netra_devtools.ports import diagnose
from tests.support.skips import by_design

REPO = Path(__file__).resolve().parents[2]


def test_busy_port_names_the_holder_with_its_details(spawn_listener: Any) -> None:
    child, port = spawn_listener()
    diag = diagnose(port)
    assert not diag.bindable
    assert f"pid {child.pid}" in diag.verdict
    (holder,) = diag.holders
    assert holder.pid == child.pid and holder.address == "127.0.0.1"
    assert holder.name.startswith("python") and "-c" in holder.cmdline
    assert holder.user and holder.create_time and holder.create_time <= time.time()
    statuses = {b.address: b.status for b in diag.binds}
    assert statuses["127.0.0.1"] == "in_use"
    if LINUX:  # BSD and Windows let a wildcard bind sit beside a loopback listener
        assert statuses["0.0.0.0"] == "in_use"
    assert any(str(child.pid) in fix.command for fix in diag.fixes)
    data = json.loads(json.dumps(diag.to_json()))  # JSON-ready all the way down
    assert data["holders"][0]["started"].endswith("Z")


def test_create_time_matches_psutil(spawn_listener: Any) -> None:
    import psutil

    child, port = spawn_listener()
    (holder,) = diagnose(port).holders
    assert holder.create_time == pytest.approx(psutil.Process(child.pid).create_time(), abs=0.05)


def test_free_port_is_bindable_with_no_holders() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    diag = diagnose(port)
    assert diag.bindable and diag.holders == [] and diag.verdict == f"port {port} is free"


def test_host_filter_ignores_a_listener_on_another_family(spawn_listener: Any) -> None:
    child, port = spawn_listener("127.0.0.1")
    assert diagnose(port, "::1").bindable
    assert diagnose(port, "::1").holders == []
    assert not diagnose(port, "127.0.0.1").bindable
    if LINUX:  # Linux refuses a wildcard bind beside a loopback listener; BSD/Windows allow it
        assert not diagnose(port, "0.0.0.0").bindable


def test_time_wait_sockets_are_reported_but_are_not_holders() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server side closes first: its end of the port goes to TIME_WAIT
    time.sleep(0.2)
    client.close()
    server.close()
    time.sleep(0.2)
    diag = diagnose(port)
    if diag.time_wait == 0:
        pytest.skip("the kernel did not keep a TIME_WAIT socket")
    assert diag.holders == [] and diag.bindable
    assert any("TIME_WAIT" in note for note in diag.notes)


@by_design(not LINUX, "the sock_diag / /proc fast path is Linux only")
def test_netlink_and_proc_tables_agree(spawn_listener: Any) -> None:
    from netra_devtools.ports import _linux

    _child, port = spawn_listener()
    states = (_linux.LISTEN, _linux.TIME_WAIT)
    assert _linux.socket_rows(port, states) == _linux.proc_socket_rows(port, states)
    assert len(_linux.socket_rows(port, states)) == 1


def test_importing_the_package_loads_no_submodule() -> None:
    code = (
        "import sys, netra_devtools.ports; "
        "print(sorted(m for m in sys.modules if m.startswith('netra_devtools.ports.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    assert out == "[]"


@by_design(not LINUX, "Linux fast path")
def test_fast_path_imports_neither_psutil_nor_rich(spawn_listener: Any) -> None:
    _child, port = spawn_listener()
    code = (
        f"import sys; from netra_devtools.ports import diagnose; d = diagnose({port}); "
        "print(d.holders[0].pid, 'psutil' in sys.modules, 'rich' in sys.modules, "
        "'dataclasses' in sys.modules)"
    )
    # coverage's subprocess patch would import its own modules (dataclasses) into the child
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env=env,
    ).stdout.split()
    assert out == [str(_child.pid), "False", "False", "False"]


@by_design(WINDOWS or not is_root(), "needs root to run a check as nobody")
def test_privileged_port_is_classified_for_an_unprivileged_user() -> None:
    from netra_devtools.ports._bind import unprivileged_port_start

    start = unprivileged_port_start()
    if start <= 1:
        pytest.skip("every port is unprivileged on this machine")
    port = start - 1
    code = (
        f"import sys, json; sys.path.insert(0, {str(REPO)!r}); "
        f"from netra_devtools.ports import diagnose; print(json.dumps(diagnose({port}).to_json()))"
    )
    done = subprocess.run(
        ["/usr/bin/python3", "-S", "-c", code], user="nobody", cwd="/",
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"nobody cannot run the check here: {done.stderr.strip()[-200:]}")
    data = json.loads(done.stdout)
    statuses = {b["address"]: (b["status"], b["errno"]) for b in data["binds"]}
    if statuses["127.0.0.1"][0] == "in_use":
        pytest.skip(f"port {port} is in use on this machine")
    assert statuses["127.0.0.1"] == ("privileged", 13)
    assert not data["bindable"] and "privileged" in data["verdict"]
    assert any(f["argv"][:2] == ["sudo", "sysctl"] and f["needs_admin"] for f in data["fixes"])


@by_design(not LINUX, "compares the Linux fast path with psutil")
def test_psutil_scan_used_on_macos_and_windows_agrees_with_the_fast_path(
    spawn_listener: Any,
) -> None:
    from netra_devtools.ports import _linux, _psutil_scan

    child, port = spawn_listener()
    fast, _ = _linux.scan(port, complete=True)
    slow, _ = _psutil_scan.scan(port)
    assert [(h.pid, h.address, h.name, h.user) for h in fast] == [
        (h.pid, h.address, h.name, h.user) for h in slow
    ]
    assert fast[0].create_time == pytest.approx(slow[0].create_time, abs=0.05)
    assert fast[0].cmdline == slow[0].cmdline and fast[0].pid == child.pid
