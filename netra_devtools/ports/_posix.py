"""POSIX specifics: find every holder (/proc on Linux, psutil on macOS), system processes,
privileged ports, and the commands that stop a holder's whole tree."""

from __future__ import annotations

import os
import sys

from netra_devtools.compat import LINUX, MACOS, is_root
from netra_devtools.ports._bind import unprivileged_port_start
from netra_devtools.ports._model import FORBIDDEN, PRIVILEGED, Diagnosis, Fix, Holder, Socket

assert sys.platform != "win32"  # POSIX only: imported by the selector in _diagnose

PROXY_NAMES = frozenset({"docker-proxy", "com.docker.backend", "vpnkit-bridge", "vpnkit"})


# Daemons of the system itself: never signalled, even with --force (their service is stopped).
SYSTEM_DAEMONS = frozenset({"init", "systemd", "launchd", "sshd", "dockerd", "containerd"})
POSTGRES_NAMES = frozenset({"postgres", "postmaster"})
# A packaged (system) PostgreSQL keeps its cluster and configuration here.
SYSTEM_POSTGRES_DIRS = ("/var/lib/postgresql/", "/var/lib/pgsql/", "/etc/postgresql/")
# Windows lists only the opener of a socket; the kernel tables here name every holder.
EVERY_HOLDER_VISIBLE = True


def scan(port: int) -> tuple[list[Socket], list[Holder], int | None]:
    """(sockets, holders, TIME_WAIT count): Linux reads the kernel's tables, macOS asks psutil."""
    if sys.platform.startswith("linux"):  # not LINUX: mypy must see that _linux is Linux-only
        from netra_devtools.ports import _linux

        return _linux.scan(port)
    from netra_devtools.ports import _psutil_scan

    return _psutil_scan.scan(port)


def process_holder(pid: int) -> Holder:
    """A process that holds nothing on the port (a parent), read like a holder."""
    if sys.platform.startswith("linux"):
        from netra_devtools.ports import _linux

        return _linux.process_holder(pid)
    from netra_devtools.ports import _psutil_scan

    return _psutil_scan.process_holder(pid)


def environ(pid: int) -> dict[str, str] | None:
    """The environment of `pid`, None when it is not readable."""
    if sys.platform.startswith("linux"):
        from netra_devtools.ports import _linux

        return _linux.environ(pid)
    from netra_devtools.ports import _psutil_scan

    return _psutil_scan.environ(pid)


def _system_unit(pid: int) -> str:
    """The systemd system service `pid` runs in, unless it is the one we run in ourselves."""
    if not sys.platform.startswith("linux"):
        return ""
    from netra_devtools.ports import _linux

    unit = _linux.systemd_unit(pid)
    return unit if unit and unit != _linux.systemd_unit(os.getpid()) else ""


def system_process(holder: Holder) -> tuple[str, Fix | None]:
    """(why `holder` is part of the system and never signalled, how to stop its service), or
    ("", None) for an ordinary process."""
    if (holder.pid or 0) <= 1:
        return f"pid {holder.pid} is the kernel's or init's", None
    return classify_system(holder, _system_unit(holder.pid or 0))


def _system_postgres(holder: Holder) -> bool:
    """A packaged PostgreSQL: its data directory or configuration is where the package puts it."""
    return any(
        a.startswith(SYSTEM_POSTGRES_DIRS) or "=/etc/postgresql/" in a for a in holder.cmdline
    )


def classify_system(holder: Holder, unit: str) -> tuple[str, Fix | None]:
    """system_process() for a holder that runs in systemd system service `unit` ("" for none)."""
    service = Fix(f"stop its service {unit}", ["sudo", "systemctl", "stop", unit], True)
    if holder.name in POSTGRES_NAMES and (unit or _system_postgres(holder)):
        fix = service if unit else Fix("stop it", ["sudo", "service", "postgresql", "stop"], True)
        return "the system's PostgreSQL server", fix
    if holder.name in SYSTEM_DAEMONS or holder.name.startswith("systemd-"):
        return f"{holder.name} is a system daemon", service if unit else None
    if unit:
        return f"runs as the system service {unit}", service
    if MACOS and holder.uid == 0 and holder.ppid == 1:
        return "a launchd daemon", None
    return "", None


def is_admin() -> bool:
    """Root can signal anyone's processes and bind privileged ports."""
    return is_root()


def owned_by_someone_else(holder: Holder) -> bool:
    """True when signalling `holder` needs privileges we may not have."""
    return holder.uid is not None and holder.uid != os.geteuid()


def stop_fix(tree: list[Holder]) -> Fix:
    """One command that stops a whole tree: its root first (it would restart the others)."""
    root = tree[0]
    needs = any(owned_by_someone_else(h) for h in tree) and not is_root()
    argv = (["sudo"] if needs else []) + ["kill"] + [str(h.pid) for h in tree]
    what = f"{root.name or 'the holder'} (pid {root.pid})"
    if len(tree) > 1:
        others = ", ".join(str(h.pid) for h in tree[1:])
        what = f"{what} and the processes of its tree ({others}); the root goes first"
    return Fix(f"stop {what}", argv, needs_admin=needs)


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
