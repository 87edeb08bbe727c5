"""Ask a Docker engine `GET /_ping` over a stream socket; any failure comes back as one phrase."""

from __future__ import annotations

import socket
from collections.abc import Callable

_PING = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"


def _http_ping(sock: socket.socket) -> str | None:
    sock.sendall(_PING)
    reply = b""
    while len(reply) < 4096:
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    status = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    if " 200 " not in status + " " or not reply.rstrip().endswith(b"OK"):
        return f"not answering /_ping (got {status or 'nothing'!r})"
    return None


def ping_socket(connect: Callable[[], socket.socket], timeout: float) -> str | None:
    """Open a socket with `connect` and ask /_ping; None when the engine answers, else why not."""
    try:
        with connect() as sock:
            sock.settimeout(timeout)
            return _http_ping(sock)
    except FileNotFoundError:
        return "missing socket"
    except PermissionError:
        return "permission denied (is the user in the docker group?)"
    except ConnectionRefusedError:
        return "refused (a socket file with no engine behind it)"
    except TimeoutError:
        return f"no answer to /_ping within {timeout:g}s"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
