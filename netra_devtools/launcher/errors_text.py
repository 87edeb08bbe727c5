"""Exceptions said as people say them: "connection refused", never `URLError: <urlopen error ...>`.

User output carries no Python exception reprs or class names: `describe_error` turns what a probe
or a connection raised into a short lower-case clause that a message can continue with its fix.
"""

from __future__ import annotations

import errno
import socket
import urllib.error

_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused (nothing listens there)",
    errno.ECONNRESET: "connection reset by the server",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRINUSE: "address already in use",
    errno.EACCES: "permission denied",
    errno.ENOENT: "no such file or directory",
}


def describe_error(exc: BaseException, *, timeout: float | None = None) -> str:
    """One clause for `exc`: what failed, in words (no class name, no repr)."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return describe_error(exc.reason, timeout=timeout)
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError):  # socket.timeout too
        return f"no answer within {timeout:g} s" if timeout else "timed out"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_TEXT:
        where = f": {exc.filename}" if exc.filename else ""
        return _ERRNO_TEXT[exc.errno] + where
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return _libpq_text(str(exc)) or "failed without saying why"


def _libpq_text(text: str) -> str:
    """The useful part of a libpq/driver message: `connection to server at "127.0.0.1", port
    5432 failed: Connection refused` -> `connection refused (...)`; FATAL lines as they are."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0]
    for line in lines:
        if line.startswith("FATAL:"):
            return line.removeprefix("FATAL:").strip()
    _where, sep, why = first.partition(" failed: ")
    if sep and why.lower().startswith("connection refused"):
        return _ERRNO_TEXT[errno.ECONNREFUSED]
    if sep and why.lower().startswith("timeout expired"):
        return "no answer (connect timeout expired)"
    return why if sep else first
