"""Windows specifics: excluded port ranges (netsh), http.sys as PID 4, firewall rules, fixes."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from netra_devtools.ports._model import Diagnosis, Fix, Holder, NetshError

NETSH_TIMEOUT = 15.0
HTTP_SYS_PID = 4
PROXY_NAMES = frozenset(
    {"com.docker.backend.exe", "wslrelay.exe", "vpnkit.exe", "com.docker.proxy.exe"}
)


@dataclass(frozen=True)
class ExcludedRange:
    """One reserved range from `netsh ... show excludedportrange` (administered: marked `*`)."""

    start: int
    end: int
    administered: bool = False

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end


def parse_excluded_ranges(text: str) -> list[ExcludedRange]:
    """Ranges from netsh output in any language: lines of two integers, optionally then `*`."""
    ranges = []
    for line in text.splitlines():
        parts = line.split()
        # isascii: `isdigit` is also true of `²`, which int() refuses
        if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts[:2]):
            continue
        if len(parts) == 3 and parts[2] != "*":
            continue
        start, end = int(parts[0]), int(parts[1])
        if 0 < start <= end <= 65535:
            ranges.append(ExcludedRange(start, end, administered=len(parts) == 3))
    return ranges


def range_containing(port: int, ranges: list[ExcludedRange]) -> ExcludedRange | None:
    """The first reserved range that contains `port`, or None."""
    return next((r for r in ranges if port in r), None)


def run_netsh(argv: list[str], timeout: float = NETSH_TIMEOUT) -> str:
    """Run netsh (argument list, no shell) and return its output; NetshError on failure."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetshError(f"{' '.join(argv)}: {exc}") from exc
    # netsh writes in the OEM code page; we only read digits, names and `*`.
    out = done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0:
        raise NetshError(f"{' '.join(argv)} exited {done.returncode}: {out.strip()[:200]}")
    return out


def excluded_ranges_argv(family: str = "ipv4") -> list[str]:
    """`netsh interface ipv4|ipv6 show excludedportrange protocol=tcp`."""
    return ["netsh", "interface", family, "show", "excludedportrange", "protocol=tcp"]


def excluded_ranges(family: str = "ipv4") -> list[ExcludedRange]:
    """The live reserved TCP ranges for one family."""
    return parse_excluded_ranges(run_netsh(excluded_ranges_argv(family)))


def reserve_fixes(port: int) -> list[Fix]:
    """Stop WinNAT, reserve the port for ourselves, start WinNAT again (all need admin)."""
    return [
        Fix("stop WinNAT (releases its dynamic reservations)", ["net", "stop", "winnat"], True),
        Fix(
            f"reserve {port} so Hyper-V/WinNAT cannot take it again",
            ["netsh", "int", "ipv4", "add", "excludedportrange", "protocol=tcp",
             f"startport={port}", "numberofports=1"],
            True,
        ),
        Fix("start WinNAT again", ["net", "start", "winnat"], True),
    ]  # fmt: skip


def firewall_rule_argv(action: str, port: int, name: str | None = None) -> list[str]:
    """netsh advfirewall argv to show, add or delete the inbound allow rule for `port`."""
    name = name or f"netra port {port}"
    base = ["netsh", "advfirewall", "firewall"]
    if action == "show":
        return [*base, "show", "rule", f"name={name}", "verbose"]
    if action == "list":
        return [*base, "show", "rule", "name=all", "dir=in", "verbose"]
    rule = ["dir=in", "protocol=TCP", f"localport={port}"]
    if action == "add":
        return [*base, "add", "rule", f"name={name}", "dir=in", "action=allow", *rule[1:]]
    if action == "delete":
        return [*base, "delete", "rule", f"name={name}", *rule]
    raise ValueError(f"unknown firewall action: {action!r}")


def parse_firewall_rules(text: str, port: int) -> list[str]:
    """Names of the rules in `show rule ... verbose` output that open TCP `port`."""
    names = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [ln for ln in block.splitlines() if ":" in ln and not ln.startswith("-")]
        if not lines:
            continue
        values = [ln.split(":", 1)[1].strip() for ln in lines]
        # Labels are localised; the one English word we skip is "RemotePort" (not ours).
        local = [ln.split(":", 1)[1] for ln in lines[1:] if "remote" not in ln.lower()]
        opens_port = any(_port_in(value, port) for value in local)
        if opens_port and any(v.upper() == "TCP" for v in values):
            names.append(values[0])
    return names


def _port_in(value: str, port: int) -> bool:
    for item in value.split(","):
        low, _, high = item.strip().partition("-")
        if low.isdigit() and (high.isdigit() or not high):
            if int(low) <= port <= int(high or low):
                return True
    return False


def firewall_rules_for(port: int) -> list[str]:
    """Inbound rules that open `port` (live)."""
    return parse_firewall_rules(run_netsh(firewall_rule_argv("list", port)), port)


def add_firewall_rule(port: int, name: str | None = None) -> str:
    """Add the inbound allow rule for `port` (needs admin)."""
    return run_netsh(firewall_rule_argv("add", port, name))


def remove_firewall_rule(port: int, name: str | None = None) -> str:
    """Delete our inbound rule for `port` (needs admin)."""
    return run_netsh(firewall_rule_argv("delete", port, name))


def scan(port: int, *, complete: bool = True) -> tuple[list[Holder], int]:
    """(listeners, TIME_WAIT count) through psutil."""
    from netra_devtools.ports import _psutil_scan

    return _psutil_scan.scan(port, complete=complete)


def is_admin() -> bool:
    """True in an elevated process."""
    if sys.platform != "win32":  # unit tests import this module anywhere; windll is Windows-only
        return False
    import ctypes

    try:
        return bool(ctypes.windll.shell32.IsUserAnAdmin())
    except (AttributeError, OSError):
        return False


def owned_by_someone_else(holder: Holder) -> bool:
    """Another account's process (its user unreadable, or a different name)."""
    import getpass

    return not holder.user or holder.user.rsplit("\\", 1)[-1].lower() != getpass.getuser().lower()


def kill_fix(holder: Holder) -> Fix:
    """The plain command to stop one holder."""
    if holder.pid == HTTP_SYS_PID:
        return Fix(
            "PID 4 is http.sys (the kernel HTTP server): find the service that registered the URL",
            ["netsh", "http", "show", "servicestate"],
        )
    return Fix(
        f"stop {holder.name or 'the holder'} (pid {holder.pid})",
        ["taskkill", "/PID", str(holder.pid)],
        needs_admin=owned_by_someone_else(holder) and not is_admin(),
    )


def who_holds_fix(port: int) -> Fix:
    """How to see who listens."""
    return Fix("see who listens", ["netstat", "-ano", "-p", "TCP"])


def explain_forbidden(diag: Diagnosis) -> None:
    """WinError 10013: an excluded range, http.sys, an exclusive-bind holder, or unknown."""
    try:
        ranges = excluded_ranges("ipv4") + excluded_ranges("ipv6")
    except NetshError as exc:
        ranges = []
        diag.notes.append(f"could not read excluded port ranges: {exc}")
    reserved = range_containing(diag.port, ranges)
    if reserved:
        diag.excluded_range = (reserved.start, reserved.end)
        kind = "an administered exclusion" if reserved.administered else "Hyper-V/WinNAT"
        diag.verdict = (
            f"{diag.port} lies in reserved range {reserved.start}-{reserved.end} ({kind})"
        )
        diag.fixes.extend(reserve_fixes(diag.port))
        return
    if any(h.pid == HTTP_SYS_PID for h in diag.holders):
        diag.verdict = f"port {diag.port} is held by http.sys (PID 4) for a registered URL"
    elif diag.holders:
        diag.verdict = f"port {diag.port} is held exclusively by pid {diag.holders[0].pid}"
    else:
        diag.verdict = (
            f"binding port {diag.port} is forbidden (WinError 10013) with no reserved range "
            "and no visible holder; check security software and `netsh int ipv4 show dynamicport tcp`"
        )
