"""POSIX engine endpoints: unix sockets (AF_UNIX); named pipes do not exist here."""

from __future__ import annotations

import socket
import sys

from netra_devtools.docker._ping import ping_socket

assert sys.platform != "win32"  # POSIX only: imported by the selector in docker/detect


def _connect_unix(path: str, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def probe_unix(path: str, timeout: float) -> str | None:
    """None when an engine answers /_ping on the unix socket `path`, else why not."""
    return ping_socket(lambda: _connect_unix(path, timeout), timeout)


def probe_pipe(path: str, timeout: float) -> str | None:
    """Named pipes are a Windows endpoint: say so instead of probing."""
    del path, timeout
    return "named pipes exist only on Windows"
