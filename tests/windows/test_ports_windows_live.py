"""Live netsh calls on Windows (the Windows CI job); skipped elsewhere."""

from __future__ import annotations

import socket
import uuid

import pytest

from netra_devtools.compat import WINDOWS
from tests.support.skips import by_design

pytestmark = by_design(not WINDOWS, "netsh exists only on Windows")


def test_live_excluded_ranges_parse() -> None:
    from netra_devtools.ports._windows import excluded_ranges

    for family in ("ipv4", "ipv6"):
        ranges = excluded_ranges(family)
        assert all(0 < r.start <= r.end <= 65535 for r in ranges)


def test_a_reserved_port_is_diagnosed_with_its_range() -> None:
    from netra_devtools.ports import diagnose
    from netra_devtools.ports._windows import excluded_ranges

    ranges = [r for r in excluded_ranges("ipv4") if r.start >= 1024]
    if not ranges:
        pytest.skip("no excluded range above 1023 on this machine")
    diag = diagnose(ranges[0].start)
    if diag.bindable:
        pytest.skip(f"{ranges[0].start} is excluded but still binds here")
    assert diag.excluded_range is not None
    assert "lies in reserved range" in diag.verdict
    assert [f.argv[:3] for f in diag.fixes][0] == ["net", "stop", "winnat"]


def test_busy_port_is_in_use_with_the_holder_pid() -> None:
    import os

    from netra_devtools.ports import diagnose

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        diag = diagnose(s.getsockname()[1])
    assert not diag.bindable
    assert os.getpid() in [h.pid for h in diag.holders]
    assert {b.address: b.errno for b in diag.binds}["127.0.0.1"] in (10048, 10013)


def test_firewall_rule_add_list_remove() -> None:
    from netra_devtools.ports._windows import (
        add_firewall_rule,
        firewall_rules_for,
        is_admin,
        remove_firewall_rule,
    )

    if not is_admin():
        pytest.skip("adding a firewall rule needs an elevated process")
    port = 40000 + uuid.uuid4().int % 20000
    name = f"netra test {uuid.uuid4().hex[:8]}"
    add_firewall_rule(port, name)
    try:
        assert name in firewall_rules_for(port)
    finally:
        remove_firewall_rule(port, name)
    assert name not in firewall_rules_for(port)


# The opener of a socket starts a child with inheritable handles: the child holds the socket too.
OPENER_AND_INHERITOR = """
import os, socket, subprocess, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
s.set_inheritable(True)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], close_fds=False)
print(s.getsockname()[1], os.getpid(), child.pid, flush=True)  # a venv's python.exe is a
# launcher that runs the interpreter as its child: this interpreter is the opener
time.sleep(600)
"""


def test_windows_names_the_opener_and_the_fix_stops_its_tree() -> None:
    import subprocess
    import sys

    import psutil

    from netra_devtools.ports import diagnose, free

    opener = subprocess.Popen(
        [sys.executable, "-c", OPENER_AND_INHERITOR], stdout=subprocess.PIPE, text=True
    )
    try:
        assert opener.stdout is not None
        port, opened_by, child = (int(v) for v in opener.stdout.readline().split())
        diag = diagnose(port)
        assert [h.pid for h in diag.holders] == [opened_by]  # the table names the opener only
        assert diag.fixes[0].argv == ["taskkill", "/PID", str(opened_by), "/T", "/F"]
        assert any("names only the process that opened" in n for n in diag.notes)
        report = free(port, force=True, timeout=5)
        assert {a.pid for a in report.actions} >= {opened_by, child}
        assert report.freed and not psutil.pid_exists(child)
    finally:
        try:
            leftovers = psutil.Process(opener.pid).children(recursive=True)
        except psutil.Error:
            leftovers = []
        for proc in leftovers:
            proc.kill()
        opener.kill()
        opener.wait(timeout=10)


def test_a_windows_service_is_never_signalled() -> None:
    from netra_devtools.ports._model import Holder
    from netra_devtools.ports._windows import service_pids, system_process

    services = service_pids()
    if not services:
        pytest.skip("no running service with a pid here")
    pid, name = next(iter(services.items()))
    reason, instead = system_process(Holder(pid, name="some.exe"))
    assert name in reason and instead is not None and instead.argv == ["net", "stop", name]
