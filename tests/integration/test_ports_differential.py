"""check-port against `ss -Htlnpe` on many socket layouts: the same sockets, each with the same
set of holding processes (fork-shared sockets, uvicorn's master and workers, its reloader,
SO_REUSEPORT pairs, v4/v6/dual-stack, another user's process, TIME_WAIT, UDP, clients, a busy
machine)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.compat import WINDOWS, is_root
from netra_devtools.ports import diagnose
from tests.conftest import service_missing
from tests.support.skips import by_design, require_module

pytestmark = by_design(WINDOWS, "ss is Linux's (iproute2)")

# Each layout is a program that prints its port once every socket of the layout is open (and
# keeps a reference to each: a socket nobody refers to is closed).
SERVER = """
import os, socket, sys, time
def listen(host="127.0.0.1", port=0, v6only=True, reuseport=False):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((host, port))
    s.listen()
    return s
def ready(port):
    print(port, flush=True)
    time.sleep(600)
"""
LAYOUTS = {
    "v4": "s = listen(); ready(s.getsockname()[1])",
    "v6": "s = listen('::1'); ready(s.getsockname()[1])",
    "dual_stack": "s = listen('::', v6only=False); ready(s.getsockname()[1])",
    "v4_and_v6_in_one_process": (
        "s = listen('0.0.0.0'); t = listen('::', s.getsockname()[1]); ready(s.getsockname()[1])"
    ),
    "fork_shared": "s = listen()\nif os.fork() == 0: time.sleep(600)\nready(s.getsockname()[1])",
    "orphaned_child": (
        "s = listen()\nif os.fork() == 0:\n    time.sleep(0.3); ready(s.getsockname()[1])\n"
        "os._exit(0)"
    ),
    "reuseport_pair": (
        "s = listen(reuseport=True); port = s.getsockname()[1]\n"
        "if os.fork() == 0:\n    s.close(); t = listen(port=port, reuseport=True); time.sleep(600)\n"
        "time.sleep(0.3); ready(port)"
    ),
    "udp_only": (
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))\n"
        "ready(u.getsockname()[1])"
    ),
    "udp_beside_tcp": (
        "s = listen(); u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "u.bind(('127.0.0.1', s.getsockname()[1])); ready(s.getsockname()[1])"
    ),
    "connected_clients": (
        "s = listen(); port = s.getsockname()[1]\n"
        "if os.fork() == 0:\n"
        "    s.close(); c = [socket.create_connection(('127.0.0.1', port)) for _ in range(3)]; time.sleep(600)\n"
        "conns = [s.accept()[0] for _ in range(3)]; ready(port)"
    ),
    "time_wait_only": (
        "s = listen(); port = s.getsockname()[1]\n"
        "c = socket.create_connection(('127.0.0.1', port)); a, _ = s.accept()\n"
        "a.close(); time.sleep(0.2); c.close(); s.close(); time.sleep(0.2); ready(port)"
    ),
    "one_of_400_listeners": "others = [listen() for _ in range(400)]\ns = listen(); ready(s.getsockname()[1])",
}


def ss_holders(port: int) -> dict[int, tuple[str, set[int]]]:
    """inode → (address, pids) of the TCP listeners on `port`, as `ss -Htlnpe` reports them."""
    done = subprocess.run(
        ["ss", "-Htlnpe", f"sport = :{port}"], capture_output=True, text=True, timeout=30,
        check=True,
    )  # fmt: skip
    found = {}
    for line in done.stdout.splitlines():
        local = line.split()[3]
        address = local.rsplit(":", 1)[0].strip("[]")
        inode = int(re.search(r"\bino:(\d+)", line).group(1))  # type: ignore[union-attr]
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        found[inode] = ("::" if address == "*" else address, pids)
    return found


def our_holders(port: int) -> dict[int, tuple[str, set[int]]]:
    """The same, from check-port's diagnosis."""
    return {s.inode or 0: (s.address, set(s.pids)) for s in diagnose(port).sockets}


@pytest.fixture(scope="module")
def ss() -> None:
    if shutil.which("ss") is None:
        service_missing("ss is missing: apt-get install -y iproute2")


@pytest.fixture
def start() -> Iterator[Callable[..., int]]:
    """Start a layout in its own session (its forks and orphans are killed with it); → its port."""
    sessions: list[subprocess.Popen[str]] = []

    def run(argv: list[str], **kwargs: Any) -> int:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True,
                                **kwargs)  # fmt: skip
        sessions.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip():
            pytest.skip(f"the layout did not start here: {argv[-1][:60]!r}")
        return int(line)

    yield run
    for proc in sessions:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _agree(port: int, holders: int, seconds: float = 30) -> None:
    """Wait until `ss` sees `holders` processes in all (a layout may still be starting), then
    compare once."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        theirs = ss_holders(port)
        if sum(len(pids) for _, pids in theirs.values()) >= holders:
            break
        time.sleep(0.1)
    theirs = ss_holders(port)
    assert sum(len(pids) for _, pids in theirs.values()) == holders, theirs
    assert our_holders(port) == theirs


EXPECTED = {
    "fork_shared": 2,
    "reuseport_pair": 2,
    "v4_and_v6_in_one_process": 2,
    "udp_only": 0,
    "time_wait_only": 0,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_holders_agree_with_ss(ss: None, start: Callable[..., int], layout: str) -> None:
    if layout in ("v6", "dual_stack", "v4_and_v6_in_one_process") and not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    port = start([sys.executable, "-c", SERVER + LAYOUTS[layout]])
    _agree(port, EXPECTED.get(layout, 1))
    if layout == "time_wait_only" and diagnose(port).time_wait == 0:
        pytest.skip("the kernel kept no TIME_WAIT socket")


@by_design(not is_root(), "needs root to start another user's process")
def test_another_users_holders_agree_with_ss(ss: None, start: Callable[..., int]) -> None:
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    port = start([python, "-c", SERVER + LAYOUTS["fork_shared"]], user="nobody", cwd="/")
    _agree(port, 2)
    assert {h.user for h in diagnose(port).holders} == {"nobody"}


@pytest.mark.parametrize(("option", "holders"), [("--workers=2", 3), ("--reload", 2)])
def test_uvicorn_holders_agree_with_ss(
    ss: None, start: Callable[..., int], tmp_path: Path, option: str, holders: int
) -> None:
    require_module("uvicorn")
    (tmp_path / "tiny_app.py").write_text(
        "async def app(scope, receive, send):\n    pass\n", encoding="utf-8"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launcher = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-m', 'uvicorn', 'tiny_app:app', '{option}',"
        f" '--port', '{port}', '--reload-dir', {str(tmp_path)!r}, '--log-level', 'warning'])\n"
        f"print({port}, flush=True); time.sleep(600)\n"
    )
    start([sys.executable, "-c", launcher], cwd=tmp_path)
    _agree(port, holders)
    diag = diagnose(port)
    assert diag.holders[0].kind == "uvicorn" and diag.holders[0].role == "root"
