"""Windows parsers against real recorded netsh outputs (tests/data/windows), argv builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_devtools.compat import WINDOWS
from netra_devtools.ports._windows import (
    ExcludedRange,
    firewall_rule_argv,
    parse_excluded_ranges,
    parse_firewall_rules,
    range_containing,
    reserve_fixes,
)
from tests.support.skips import by_design

EXPECTED = {
    "excludedportrange_en_administered.txt": [(80, 80, False), (5986, 5986, False),
                                              (47001, 47001, False), (55679, 55679, True)],
    "excludedportrange_en_github_runner.txt": [(80, 80, False), (5986, 5986, False),
                                               (47001, 47001, False), (51417, 51516, False),
                                               (51517, 51616, False)],
    "excludedportrange_es_partial.txt": [(1025, 1124, False), (1125, 1224, False),
                                         (5357, 5357, False), (7946, 8045, False),
                                         (8884, 8884, False), (24266, 24365, False),
                                         (50000, 50059, False)],
}  # fmt: skip


def _ranges(data_dir: Path, name: str) -> list[ExcludedRange]:
    return parse_excluded_ranges((data_dir / "windows" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_outputs_parse_to_the_published_ranges(data_dir: Path, name: str) -> None:
    assert [(r.start, r.end, r.administered) for r in _ranges(data_dir, name)] == EXPECTED[name]


def test_every_recorded_output_parses_in_any_language(data_dir: Path) -> None:
    files = sorted((data_dir / "windows").glob("excludedportrange_*.txt"))
    assert len(files) >= 7
    for path in files:
        ranges = parse_excluded_ranges(path.read_text(encoding="utf-8"))
        numbers = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                   if ln.split() and ln.split()[0].isdigit()]  # fmt: skip
        assert len(ranges) == len(numbers), path.name
        assert all(r.start <= r.end for r in ranges)


def test_port_8000_lies_in_the_spanish_hyperv_range(data_dir: Path) -> None:
    reserved = range_containing(8000, _ranges(data_dir, "excludedportrange_es_partial.txt"))
    assert reserved == ExcludedRange(7946, 8045)
    assert range_containing(8000, _ranges(data_dir, "excludedportrange_es_wsl_full.txt")) is None


def test_chinese_output_keeps_the_administered_marker(data_dir: Path) -> None:
    ranges = _ranges(data_dir, "excludedportrange_zh_cn_hyperv.txt")
    assert [(r.start, r.end) for r in ranges if r.administered] == [(50000, 50059)]
    assert range_containing(2000, ranges) == ExcludedRange(1907, 2006)
    assert len(ranges) == 18


def test_hyperv_blocks_in_the_dynamic_range(data_dir: Path) -> None:
    ranges = _ranges(data_dir, "excludedportrange_en_dynamic_blocks.txt")
    assert range_containing(53317, ranges) == ExcludedRange(53286, 53385)
    assert (
        range_containing(8000, _ranges(data_dir, "excludedportrange_en_win10_hyperv.txt")) is None
    )


def test_footer_and_headers_are_not_ranges() -> None:
    text = "Protocol tcp Port Exclusion Ranges\n\n* - Administered port exclusions.\n 1 2 3\n"
    assert parse_excluded_ranges(text) == []


def test_reserve_fix_is_stop_winnat_reserve_start_all_admin() -> None:
    fixes = reserve_fixes(8000)
    assert [f.argv for f in fixes] == [
        ["net", "stop", "winnat"],
        ["netsh", "int", "ipv4", "add", "excludedportrange", "protocol=tcp",
         "startport=8000", "numberofports=1"],
        ["net", "start", "winnat"],
    ]  # fmt: skip
    assert all(f.needs_admin for f in fixes)


def test_firewall_argv_are_argument_lists() -> None:
    assert firewall_rule_argv("add", 8000) == [
        "netsh", "advfirewall", "firewall", "add", "rule", "name=netra port 8000",
        "dir=in", "action=allow", "protocol=TCP", "localport=8000",
    ]  # fmt: skip
    assert firewall_rule_argv("delete", 8000, "x") == [
        "netsh", "advfirewall", "firewall", "delete", "rule", "name=x",
        "dir=in", "protocol=TCP", "localport=8000",
    ]  # fmt: skip
    assert firewall_rule_argv("show", 8000)[3:6] == ["show", "rule", "name=netra port 8000"]
    with pytest.raises(ValueError):
        firewall_rule_argv("open", 8000)


# Layout of `netsh advfirewall firewall show rule ... verbose` (constructed for this test; the
# Windows CI job checks the parser against live output in tests/integration).
SHOW_RULE = """
Rule Name:                            netra port 8000
----------------------------------------------------------------------
Enabled:                              Yes
Direction:                            In
Protocol:                             TCP
LocalPort:                            8000
RemotePort:                           Any
Action:                               Allow

Rule Name:                            dev range
----------------------------------------------------------------------
Protocol:                             TCP
LocalPort:                            7000-9000,443
Action:                               Allow

Rule Name:                            remote only
----------------------------------------------------------------------
Protocol:                             TCP
LocalPort:                            Any
RemotePort:                           8000

Rule Name:                            udp rule
----------------------------------------------------------------------
Protocol:                             UDP
LocalPort:                            8000
Ok.
"""


def test_firewall_rules_opening_a_port_are_found() -> None:
    assert parse_firewall_rules(SHOW_RULE, 8000) == ["netra port 8000", "dev range"]
    assert parse_firewall_rules(SHOW_RULE.replace("\n", "\r\n"), 443) == ["dev range"]
    assert parse_firewall_rules(SHOW_RULE, 22) == []


@by_design(WINDOWS, "proves the path where netsh is missing")
def test_forbidden_without_netsh_is_explained_not_raised() -> None:
    from netra_devtools.ports._model import BindResult, Diagnosis, Holder
    from netra_devtools.ports._windows import explain_forbidden, kill_fix

    diag = Diagnosis(8000, None, False, "", binds=[BindResult("127.0.0.1", "forbidden", 10013)])
    explain_forbidden(diag)
    assert "could not read excluded port ranges" in diag.notes[0]
    assert "forbidden (WinError 10013)" in diag.verdict and diag.excluded_range is None

    http_sys = Diagnosis(8000, None, False, "", holders=[Holder(4, name="System")])
    explain_forbidden(http_sys)
    assert "http.sys (PID 4)" in http_sys.verdict
    assert kill_fix(Holder(4, name="System")).argv == ["netsh", "http", "show", "servicestate"]
    assert kill_fix(Holder(4242, name="python.exe")).argv == ["taskkill", "/PID", "4242"]
