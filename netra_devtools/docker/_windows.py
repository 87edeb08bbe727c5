"""Windows engine endpoints: named pipes (through the docker SDK); CPython has no AF_UNIX here."""

from __future__ import annotations

import os
import sys

assert sys.platform == "win32"  # Windows only: imported by the selector in docker/detect


def probe_unix(path: str, timeout: float) -> str | None:
    """A unix socket file exists, but this Python cannot connect to it."""
    del path, timeout
    return "unix sockets are not supported by this Python"


def probe_pipe(path: str, timeout: float) -> str | None:
    """None when an engine answers /_ping on the named pipe `path`, else why not."""
    if not os.path.exists(path):
        return "missing named pipe"
    try:
        import docker

        url = f"npipe://{path.replace(chr(92), '/')}"
        client = docker.DockerClient(base_url=url, timeout=max(1, round(timeout)))
        try:
            return None if client.ping() else "not answering /_ping"
        finally:
            client.close()
    except Exception as exc:  # pywin32 errors have no common base: report, do not crash
        return f"not answering /_ping ({type(exc).__name__}: {exc})"
