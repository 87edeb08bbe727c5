"""Where introspection reads logs: compose containers (SDK), the compose CLI, a file, stdin.

Each source is a name (the compose service, the file path, `stdin`) and an iterator of raw
byte chunks; lines are found later by the learnings line reader, so nothing here decodes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netra_devtools.errors import NetraDevtoolsError
from netra_devtools.learnings.lines import Readable, iter_chunks

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
CLI_PROBE_TIMEOUT_S = 15
CLI_LOGS_TIMEOUT_S = 300
_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SourceError(NetraDevtoolsError):
    """A log source cannot be opened (no such file, no such project, no compose CLI)."""


@dataclass
class LogSource:
    """A named stream of raw log bytes; `close` stops a follow early."""

    name: str
    chunks: Iterator[bytes]
    close: Callable[[], None] = field(default=lambda: None)
    stream: Readable | None = None  # set for files/stdin: read into one reused buffer
    demux: Callable[[bytes], str | None] | None = None  # interleaved output: line → service


def parse_since(text: str, now: float | None = None) -> int:
    """`--since` as a unix timestamp: `10m`/`2h`/`1d`, seconds since epoch, or RFC 3339."""
    text = text.strip()
    now = time.time() if now is None else now
    relative = _RELATIVE.match(text)
    if relative:
        return int(now - int(relative[1]) * _UNITS[relative[2]])
    if text.isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise ValueError(
            f"--since: not a duration (10m), unix time or RFC 3339: {text!r}"
        ) from None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _not_regular(path: str, mode: int) -> SourceError:
    return SourceError(
        f"--file {path}: {_kind(mode)}, not a regular file (for a stream use `--file -` "
        "and pipe it in)"
    )


def file_source(path: str) -> LogSource:
    """A regular log file (`-` is stdin), read in binary chunks; anything else is refused.

    The path is checked with stat before it is opened, because opening a FIFO that has no
    writer blocks forever; it is then opened non-blocking and checked again (it may have been
    swapped in between).
    """
    if path == "-":
        # Unbuffered: a follow thread blocked in a buffered read would abort interpreter exit.
        raw = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
        return LogSource("stdin", iter_chunks(raw), stream=raw)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _not_regular(path, mode)
    handle = os.fdopen(fd, "rb")
    return LogSource(path, iter_chunks(handle), handle.close, stream=handle)


def _service_name(container: Any, duplicates: set[str]) -> str:
    labels = container.labels
    service = labels.get(SERVICE_LABEL, container.name)
    if service in duplicates:  # scaled service: keep each container's lines apart
        return f"{service}-{labels.get(NUMBER_LABEL, container.short_id)}"
    return str(service)


def container_sources(
    client: Any,
    project: str,
    *,
    services: Sequence[str] = (),
    since: int | None = None,
    follow: bool = False,
) -> list[LogSource]:
    """One source per container of a compose project (by label), optionally per service."""
    containers = client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    if services:
        containers = [c for c in containers if c.labels.get(SERVICE_LABEL) in services]
    if not containers:
        wanted = f" services {', '.join(services)}" if services else ""
        raise SourceError(f"no containers of compose project {project!r}{wanted}")
    names = [c.labels.get(SERVICE_LABEL, c.name) for c in containers]
    duplicates = {name for name in names if names.count(name) > 1}
    containers.sort(key=lambda c: (c.labels.get(SERVICE_LABEL, ""), c.name))
    sources = []
    for container in containers:
        kwargs: dict[str, Any] = {"stream": True, "follow": follow}
        if since is not None:
            kwargs["since"] = since
        stream = container.logs(**kwargs)
        sources.append(LogSource(_service_name(container, duplicates), iter(stream), stream.close))
    return sources


def compose_command() -> list[str]:
    """`docker compose` when the v2 plugin works, else `docker-compose`; SourceError if neither."""
    docker = shutil.which("docker")
    if docker:
        try:
            probe = subprocess.run(
                [docker, "compose", "version"],
                capture_output=True,
                timeout=CLI_PROBE_TIMEOUT_S,
                check=False,
            )
            if probe.returncode == 0:
                return [docker, "compose"]
        except (OSError, subprocess.TimeoutExpired):
            pass
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    raise SourceError("neither `docker compose` nor `docker-compose` is installed")


def compose_cli_source(
    project: str,
    *,
    services: Sequence[str] = (),
    since: str | None = None,
    follow: bool = False,
    timeout: float | None = None,
    compose_files: Sequence[str] = (),
) -> LogSource:
    """`docker compose -p PROJECT logs --no-color` as one stream (lines keep their prefixes)."""
    base = compose_command()
    files = [arg for path in compose_files for arg in ("-f", path)]
    argv = [*base, *files, "-p", project, "logs", "--no-color"]
    if since:
        if base[-1] != "compose":
            raise SourceError("docker-compose 1.x has no `logs --since`; use the Docker SDK source")
        argv += ["--since", since]
    argv += ["--follow"] if follow else []
    argv += list(services)
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty stderr cannot block
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)
    deadline = time.monotonic() + (timeout or (None if follow else CLI_LOGS_TIMEOUT_S) or 1e12)
    stopped_by_us = False

    def chunks() -> Iterator[bytes]:
        assert process.stdout is not None
        for chunk in iter_chunks(process.stdout):
            yield chunk
            if time.monotonic() > deadline:
                close()
                return
        try:  # stdout ended: let the CLI exit by itself so its exit code means something
            process.wait(CLI_PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            close()
            return
        close()
        errors.seek(0)
        lines = errors.read().decode("utf-8", "replace").strip().splitlines()
        errors.close()
        if process.returncode and not stopped_by_us:
            reason = lines[0].strip() if lines else f"exit code {process.returncode}"
            raise SourceError(f"`{' '.join(argv[: len(base)])} logs` failed: {reason}")

    def close() -> None:
        nonlocal stopped_by_us
        if process.poll() is None:
            stopped_by_us = True
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process.stdout is not None:
            process.stdout.close()

    def demux(raw: bytes) -> str | None:
        return service_from_prefix(raw[:200].decode("utf-8", "replace"), project)

    return LogSource(f"compose:{project}", chunks(), close, demux=demux)


_PREFIX = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*?)(?:[-_](\d+))? *\|")


def service_from_prefix(raw_line: str, project: str) -> str | None:
    """`backend-1  | ...` → `backend`; v1 `proj_backend_1 | ...` → `backend`."""
    match = _PREFIX.match(raw_line)
    if not match:
        return None
    name = match[1]
    for separator in ("_", "-"):
        if name.startswith(project + separator):
            name = name[len(project) + 1 :]
    return name
