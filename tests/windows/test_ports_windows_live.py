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
