"""diagnose(): who holds a port, what each bind test says, the verdict and the exact fix."""

from __future__ import annotations

import sys

from netra_devtools.ports._bind import bind_tests, normalise_host
from netra_devtools.ports._model import (
    BLOCKING,
    FORBIDDEN,
    IN_USE,
    NOT_AVAILABLE,
    PRIVILEGED,
    Diagnosis,
    Fix,
    Holder,
)

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_devtools.ports import _windows as os_ports
else:
    from netra_devtools.ports import _posix as os_ports


__all__ = ["check_port_number", "diagnose", "os_ports"]


def check_port_number(port: int) -> int:
    """`port` if it is a TCP port 1-65535, else ValueError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port out of range 1-65535: {port!r}")
    return port


def _conflicts(listener: str, host: str | None) -> bool:
    """Would a listener on `listener` stop a bind on `host`? (wildcards overlap everything)."""
    if host is None or listener == host:
        return True
    return listener in ("0.0.0.0", "::", "*") or host in ("0.0.0.0", "::")


def _describe(holder: Holder) -> str:
    if holder.pid is None:
        return f"a process of user {holder.user or '?'} we cannot see"
    return f"{holder.name or '?'} (pid {holder.pid})"


def _attach_containers(port: int, holders: list[Holder]) -> None:
    """Docker's proxy holds published ports: say which container (best effort, never fatal)."""
    proxies = [h for h in holders if h.name in os_ports.PROXY_NAMES]
    if not proxies:
        return
    from netra_devtools.ports import _docker

    container = _docker.container_for_port(port)
    for holder in proxies:
        holder.container = container or _docker.proxy_target(holder.cmdline) or None
        if container is None:
            holder.note = "Docker's port proxy; the container could not be looked up"


def _holder_fixes(port: int, holders: list[Holder]) -> list[Fix]:
    fixes: list[Fix] = []
    for holder in holders:
        if holder.pid is None:
            fixes.append(os_ports.who_holds_fix(port))
        elif holder.name in os_ports.PROXY_NAMES:  # killing Docker's proxy would break Docker
            name = (holder.container or {}).get("name")
            fixes.append(
                Fix(f"stop container {name}", ["docker", "stop", name])
                if name
                else Fix("find the container", ["docker", "ps", "--filter", f"publish={port}"])
            )
        else:
            fixes.append(os_ports.kill_fix(holder))
    stoppable = [h for h in holders if h.pid not in (None, 0, 1, 4)]
    if any(h.name not in os_ports.PROXY_NAMES for h in stoppable):
        fixes.append(
            Fix("or free it safely (listeners only)", ["invoke", "fix-port", "--port", str(port)])
        )
    unique: dict[str, Fix] = {}
    for fix in fixes:
        unique.setdefault(fix.command, fix)
    return list(unique.values())


def diagnose(port: int, host: str | None = None, *, complete: bool = False) -> Diagnosis:
    """Why `port` does or does not bind (on `host`, else on every loopback/wildcard address)."""
    check_port_number(port)
    host = normalise_host(host)
    binds = bind_tests(port, host)
    holders, time_wait = os_ports.scan(port, complete=complete)
    holders = [h for h in holders if _conflicts(h.address, host)]
    relevant = [b for b in binds if host is None or b.address == host]
    statuses = {b.status for b in relevant}
    bindable = not statuses & set(BLOCKING) and (host is None or NOT_AVAILABLE not in statuses)
    diag = Diagnosis(port, host, bindable, "", holders, binds, time_wait)
    _attach_containers(port, holders)
    if time_wait:
        diag.notes.append(
            f"{time_wait} socket(s) in TIME_WAIT on {port}: closed connections, not holders "
            "(they do not block servers that set SO_REUSEADDR; they vanish within ~60 s)"
        )
    if any(b.status == NOT_AVAILABLE for b in binds):
        missing = ", ".join(b.address for b in binds if b.status == NOT_AVAILABLE)
        diag.notes.append(f"not available on this machine: {missing} (e.g. IPv6 disabled)")
    if bindable:
        diag.verdict = f"port {port} is free" + (f" on {host}" if host else "")
        return diag
    if FORBIDDEN in statuses or PRIVILEGED in statuses:
        os_ports.explain_forbidden(diag)
        if holders:
            diag.fixes.extend(_holder_fixes(port, holders))
    elif IN_USE in statuses and holders:
        diag.verdict = f"port {port} is in use by " + ", ".join(_describe(h) for h in holders)
        diag.fixes.extend(_holder_fixes(port, holders))
    elif IN_USE in statuses and time_wait:
        diag.verdict = f"port {port} has only TIME_WAIT sockets; wait ~60 s or set SO_REUSEADDR"
    elif IN_USE in statuses:
        diag.verdict = f"port {port} is in use by a process this account cannot see"
        diag.fixes.append(os_ports.who_holds_fix(port))
    else:
        diag.verdict = f"address {host} is not available on this machine"
    return diag
