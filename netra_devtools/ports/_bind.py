"""Bind tests: try to bind and listen on each address the way a server would, classify errno."""

from __future__ import annotations

import _socket  # not `socket`: check-port's fast path skips its heavier import
import errno as _errno

from netra_devtools.compat import WINDOWS
from netra_devtools.ports._model import (
    FORBIDDEN,
    IN_USE,
    NOT_AVAILABLE,
    OK,
    PRIVILEGED,
    BindResult,
)

DEFAULT_ADDRESSES = ("127.0.0.1", "0.0.0.0", "::1", "::")

# Winsock reports its own numbers (WSAE*); errno.* on Windows are the CRT's values.
_IN_USE = {_errno.EADDRINUSE, 10048}
_FORBIDDEN = {_errno.EACCES, _errno.EPERM, 10013}
_NOT_AVAILABLE = {_errno.EADDRNOTAVAIL, _errno.EAFNOSUPPORT, 10049, 10047}


def unprivileged_port_start() -> int:
    """The lowest port an unprivileged user may bind (Linux sysctl; 1024 elsewhere, 0 on Windows)."""
    if WINDOWS:
        return 0
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return 1024


def classify(err: OSError, port: int) -> str:
    """Map a bind error to in_use / forbidden / privileged / address_not_available."""
    code = getattr(err, "winerror", None) or err.errno
    if code in _IN_USE:
        return IN_USE
    if code in _FORBIDDEN:
        return PRIVILEGED if port < unprivileged_port_start() else FORBIDDEN
    if code in _NOT_AVAILABLE:
        return NOT_AVAILABLE
    return FORBIDDEN


def bind_test(address: str, port: int) -> BindResult:
    """Bind and listen on (address, port), then close: ok, or why not."""
    family = _socket.AF_INET6 if ":" in address else _socket.AF_INET
    try:
        sock = _socket.socket(family, _socket.SOCK_STREAM)
    except OSError as exc:
        return BindResult(address, NOT_AVAILABLE, exc.errno, str(exc))
    try:
        if not WINDOWS:
            # Servers (uvicorn, asyncio) set SO_REUSEADDR, so TIME_WAIT does not block them;
            # on Windows SO_REUSEADDR would steal a live port, so it is left off there.
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        if family == _socket.AF_INET6:
            # Test IPv6 on its own; the IPv4 rows already cover the other half of dual-stack.
            sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(1)
    except OSError as exc:
        code = getattr(exc, "winerror", None) or exc.errno
        return BindResult(address, classify(exc, port), code, exc.strerror or str(exc))
    finally:
        sock.close()
    return BindResult(address, OK)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when `host:port` binds right now, the way a server (uvicorn) will bind it."""
    return bind_test(host, port).status == OK


def bind_tests(port: int, host: str | None = None) -> list[BindResult]:
    """Bind tests on 127.0.0.1, 0.0.0.0, ::1 and :: (plus `host` when it is another address)."""
    addresses = list(DEFAULT_ADDRESSES)
    if host and host not in addresses:
        addresses.append(host)
    return [bind_test(address, port) for address in addresses]


def normalise_host(host: str | None) -> str | None:
    """`host` as a canonical IP address string, or None; ValueError when it is not an address."""
    if host is None or host == "":
        return None
    import ipaddress  # only with --host: check-port's fast path does without it

    return str(ipaddress.ip_address(host.strip().strip("[]")))
