"""diagnose(): every process holding a port (grouped in trees), the bind tests, the verdict and
the one command per tree that frees it for real."""

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
    Socket,
)
from netra_devtools.ports._tree import assign_trees

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_devtools.ports import _windows as os_ports
else:
    from netra_devtools.ports import _posix as os_ports


__all__ = ["check_port_number", "container_fix", "diagnose", "fix_port_command", "os_ports"]


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


def _describe(tree: list[Holder]) -> str:
    """ "uvicorn (pid 100) and 2 more of its tree (101, 102)" — the root named first."""
    root = tree[0]
    if root.pid is None:
        return f"a process of user {root.user or '?'} we cannot see"
    text = f"{root.name or '?'} (pid {root.pid}"
    text += f", {root.kind})" if root.kind else ")"
    if len(tree) > 1:
        text += f" and {len(tree) - 1} more of its tree ({', '.join(str(h.pid) for h in tree[1:])})"
    return text


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


def container_fix(port: int, holder: Holder) -> Fix:
    """Stop the container that publishes `port` (killing Docker's proxy would break Docker)."""
    name = (holder.container or {}).get("name")
    if name:
        return Fix(f"stop container {name}", ["docker", "stop", name])
    return Fix("find the container", ["docker", "ps", "--filter", f"publish={port}"])


def fix_port_command(port: int, *, force: bool = False) -> list[str]:
    """The exact `invoke fix-port` command line for `port`."""
    return ["invoke", "fix-port", "--port", str(port), *(["--force"] if force else [])]


def _tree_fixes(port: int, diag: Diagnosis) -> list[Fix]:
    """Per tree, the one command that frees it for real; then the safe way (fix-port)."""
    fixes: list[Fix] = []
    foreign_user = same_user = False
    for root, tree in diag.trees().items():
        if root is None:
            fixes.append(os_ports.who_holds_fix(port))
            continue
        proxy = next((h for h in tree if h.name in os_ports.PROXY_NAMES), None)
        if proxy is not None:
            fixes.append(container_fix(port, proxy))
            continue
        reason, service_fix = os_ports.system_process(tree[0])
        if reason:
            diag.notes.append(f"pid {root} ({tree[0].name}): {reason}; it is never signalled")
            if service_fix is not None:
                fixes.append(service_fix)
            continue
        fixes.append(os_ports.stop_fix(tree))
        if any(os_ports.owned_by_someone_else(h) for h in tree):
            foreign_user = True
        else:
            same_user = True
    if same_user:
        fixes.append(
            Fix("or free it with fix-port (it asks before stopping a program that is not ours)",
                fix_port_command(port))
        )  # fmt: skip
    if foreign_user:
        admin = not os_ports.is_admin()
        fixes.append(
            Fix("or free another user's process with fix-port --force (as root/admin)",
                fix_port_command(port, force=True), needs_admin=admin)
        )  # fmt: skip
    unique: dict[str, Fix] = {}
    for fix in fixes:
        unique.setdefault(fix.command, fix)
    return list(unique.values())


def _find_holders(port: int, host: str | None) -> tuple[list[Socket], list[Holder], int | None]:
    """The sockets that conflict with a bind on `host`, their holders (in trees), TIME_WAIT."""
    sockets, holders, time_wait = os_ports.scan(port)
    sockets = [s for s in sockets if _conflicts(s.address, host)]
    kept = {pid for s in sockets for pid in s.pids}
    holders = [
        h for h in holders if (h.pid in kept if h.pid is not None else _conflicts(h.address, host))
    ]
    return sockets, assign_trees(holders, os_ports.process_holder, os_ports.environ), time_wait


def diagnose(port: int, host: str | None = None) -> Diagnosis:
    """Why `port` does or does not bind (on `host`, else on every loopback/wildcard address)."""
    check_port_number(port)
    host = normalise_host(host)
    binds = bind_tests(port, host)
    sockets, holders, time_wait = _find_holders(port, host)
    relevant = [b for b in binds if host is None or b.address == host]
    statuses = {b.status for b in relevant}
    bindable = not statuses & set(BLOCKING) and (host is None or NOT_AVAILABLE not in statuses)
    diag = Diagnosis(port, host, bindable, "", holders, binds, time_wait, sockets=sockets)
    _attach_containers(port, holders)
    if time_wait:
        diag.notes.append(
            f"{time_wait} socket(s) in TIME_WAIT on {port}: closed connections, not holders "
            "(they do not block servers that set SO_REUSEADDR; they vanish within ~60 s)"
        )
    if any(b.status == NOT_AVAILABLE for b in binds):
        missing = ", ".join(b.address for b in binds if b.status == NOT_AVAILABLE)
        diag.notes.append(f"not available on this machine: {missing} (e.g. IPv6 disabled)")
    if not os_ports.EVERY_HOLDER_VISIBLE and holders:
        diag.notes.append(
            "this system names only the process that opened each socket; processes that "
            "inherited it are its children, so the fix stops the whole tree"
        )
    if bindable:
        diag.verdict = f"port {port} is free" + (f" on {host}" if host else "")
        return diag
    if FORBIDDEN in statuses or PRIVILEGED in statuses:
        os_ports.explain_forbidden(diag)
        if holders:
            diag.fixes.extend(_tree_fixes(port, diag))
    elif IN_USE in statuses and holders:
        trees = diag.trees().values()
        diag.verdict = f"port {port} is in use by " + ", ".join(_describe(t) for t in trees)
        diag.fixes.extend(_tree_fixes(port, diag))
    elif IN_USE in statuses and time_wait:
        diag.verdict = f"port {port} has only TIME_WAIT sockets; wait ~60 s or set SO_REUSEADDR"
    elif IN_USE in statuses:
        diag.verdict = f"port {port} is in use by a process this account cannot see"
        diag.fixes.append(os_ports.who_holds_fix(port))
    else:
        diag.verdict = f"address {host} is not available on this machine"
    return diag
