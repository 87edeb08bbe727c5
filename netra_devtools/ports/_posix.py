"""POSIX specifics: find holders (/proc on Linux, psutil on macOS), privileged ports, fixes."""

from __future__ import annotations

import os
import sys

from netra_devtools.compat import LINUX, is_root
from netra_devtools.ports._bind import unprivileged_port_start
from netra_devtools.ports._model import FORBIDDEN, PRIVILEGED, Diagnosis, Fix, Holder

assert sys.platform != "win32"  # POSIX only: imported by the selector in _diagnose

PROXY_NAMES = frozenset({"docker-proxy", "com.docker.backend", "vpnkit-bridge", "vpnkit"})


def scan(port: int, *, complete: bool = False) -> tuple[list[Holder], int]:
    """(listeners, TIME_WAIT count): Linux reads the kernel's tables, macOS asks psutil."""
    if sys.platform.startswith("linux"):  # not LINUX: mypy must see that _linux is Linux-only
        from netra_devtools.ports import _linux

        return _linux.scan(port, complete=complete)
    from netra_devtools.ports import _psutil_scan

    return _psutil_scan.scan(port, complete=complete)


def is_admin() -> bool:
    """Root can signal anyone's processes and bind privileged ports."""
    return is_root()


def owned_by_someone_else(holder: Holder) -> bool:
    """True when signalling `holder` needs privileges we may not have."""
    return holder.uid is not None and holder.uid != os.geteuid()


def kill_fix(holder: Holder) -> Fix:
    """The plain command to stop one holder."""
    needs = owned_by_someone_else(holder) and not is_root()
    argv = (["sudo"] if needs else []) + ["kill", str(holder.pid)]
    return Fix(f"stop {holder.name or 'the holder'} (pid {holder.pid})", argv, needs_admin=needs)


def who_holds_fix(port: int) -> Fix:
    """How to see another user's listener."""
    if LINUX:
        return Fix(
            "see who listens (needs root)", ["sudo", "ss", "-ltnp", f"sport = :{port}"], True
        )
    return Fix(
        "see who listens (needs root)",
        ["sudo", "lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"],
        True,
    )


def explain_forbidden(diag: Diagnosis) -> None:
    """Set verdict and fixes when a bind was refused with EACCES (no holder involved)."""
    statuses = {b.status for b in diag.binds}
    if PRIVILEGED in statuses:
        start = unprivileged_port_start()
        diag.verdict = f"port {diag.port} is privileged (below {start}): binding it needs root"
        diag.fixes.append(
            Fix(
                f"serve on a port at or above {start} instead",
                ["uvicorn", "netra_backend.app.main:app", "--port", "8000"],
            )
        )
        if LINUX:
            diag.fixes.append(
                Fix(
                    f"or let unprivileged users bind from {diag.port} up",
                    ["sudo", "sysctl", f"net.ipv4.ip_unprivileged_port_start={diag.port}"],
                    needs_admin=True,
                )
            )
    elif FORBIDDEN in statuses:
        diag.verdict = (
            f"binding port {diag.port} is forbidden (EACCES) by a security policy "
            "(SELinux, AppArmor, a sandbox or seccomp)"
        )
        if LINUX:
            diag.fixes.append(Fix("look for denials", ["sudo", "dmesg", "--level=warn,err"], True))
