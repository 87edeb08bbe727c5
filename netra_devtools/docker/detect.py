"""Find a Docker engine without the CLI: DOCKER_HOST, the current context, platform defaults.

Every candidate is probed in order (socket/pipe present, connect, `GET /_ping`); the result
lists each attempt with why it failed, so "Docker is not running" becomes "tried these five
endpoints; this one was missing, that one refused". How a unix socket or a named pipe is reached
depends on the platform: `_posix` or `_windows`, chosen once at import.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from netra_backend.redact import mask_url
from netra_devtools import compat
from netra_devtools.docker._ping import ping_socket
from netra_devtools.errors import NetraDevtoolsError

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_devtools.docker import _windows as os_docker
else:
    from netra_devtools.docker import _posix as os_docker

PING_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Candidate:
    """An endpoint to try and where it came from (DOCKER_HOST, context NAME, default)."""

    url: str
    origin: str


@dataclass(frozen=True)
class Attempt:
    """One probed candidate: `error` is None when the engine answered /_ping."""

    candidate: Candidate
    error: str | None

    def describe(self) -> str:
        """One line for people: origin, masked URL, outcome."""
        outcome = "ok" if self.error is None else self.error
        if not self.candidate.url:
            return f"{self.candidate.origin}: {outcome}"
        return f"{self.candidate.origin}: {mask_url(self.candidate.url)}: {outcome}"


@dataclass
class Detection:
    """The outcome of detection: the engine URL found (or None) and every attempt, in order."""

    attempts: list[Attempt] = field(default_factory=list)

    @property
    def url(self) -> str | None:
        """The first candidate that answered, if any."""
        return next((a.candidate.url for a in self.attempts if a.error is None), None)


class EngineNotFound(NetraDevtoolsError):
    """No candidate answered; the message lists each attempt and why it failed."""

    def __init__(self, detection: Detection) -> None:
        self.detection = detection
        tried = "; ".join(a.describe() for a in detection.attempts) or "no candidates"
        super().__init__(f"no Docker engine answered (tried {tried})")


def docker_config_dir(env: Mapping[str, str], home: Path) -> Path:
    """DOCKER_CONFIG, or ~/.docker."""
    return Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"


def context_candidate(env: Mapping[str, str], home: Path) -> Candidate | str | None:
    """The current context's endpoint, an error string when it is broken, None for `default`."""
    config_dir = docker_config_dir(env, home)
    name = env.get("DOCKER_CONTEXT", "")
    if not name:
        try:
            config = json.loads((config_dir / "config.json").read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            return f"unreadable {config_dir / 'config.json'}: {exc}"
        name = str(config.get("currentContext") or "") if isinstance(config, dict) else ""
    if not name or name == "default":
        return None
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    meta_file = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_file.read_text("utf-8"))
        host = meta["Endpoints"]["docker"]["Host"]
    except FileNotFoundError:
        return f"context {name!r}: no {meta_file}"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"context {name!r}: unreadable {meta_file}: {exc!r}"
    return Candidate(str(host), f"context {name}")


def platform_defaults(
    env: Mapping[str, str], home: Path, *, windows: bool = compat.WINDOWS
) -> list[Candidate]:
    """Where engines listen by default: Docker Engine/Desktop, rootless, podman, colima."""
    if windows:
        pipes = ("dockerDesktopLinuxEngine", "docker_engine", "podman-machine-default")
        return [Candidate(f"npipe:////./pipe/{pipe}", "default") for pipe in pipes]
    paths = [Path("/var/run/docker.sock"), home / ".docker/run/docker.sock"]
    paths.append(home / ".docker/desktop/docker.sock")
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        paths += [Path(runtime) / "docker.sock", Path(runtime) / "podman/podman.sock"]
    paths += [Path("/run/podman/podman.sock"), home / ".colima/default/docker.sock"]
    return [Candidate(f"unix://{path}", "default") for path in paths]


def candidates(
    env: Mapping[str, str], home: Path, *, windows: bool = compat.WINDOWS
) -> list[Candidate | str]:
    """Every candidate in the order the docker CLI would prefer them (errors kept as strings)."""
    found: list[Candidate | str] = []
    if env.get("DOCKER_HOST"):
        found.append(Candidate(env["DOCKER_HOST"], "DOCKER_HOST"))
    context = context_candidate(env, home)
    if context is not None:
        found.append(context)
    found += platform_defaults(env, home, windows=windows)
    return found


def probe(url: str, timeout: float = PING_TIMEOUT_S) -> str | None:
    """None when an engine answers /_ping at `url`, else why not (one phrase)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        path = parts.netloc + parts.path
        if not os.path.exists(path):
            return "missing socket"
        return os_docker.probe_unix(path, timeout)
    if parts.scheme == "npipe":
        return os_docker.probe_pipe("\\\\.\\pipe\\" + url.rsplit("/", 1)[-1], timeout)
    if parts.scheme in ("tcp", "http"):
        if not parts.hostname:
            return "no host in URL"
        address = (parts.hostname, parts.port or 2375)
        return ping_socket(lambda: socket.create_connection(address, timeout), timeout)
    return f"scheme {parts.scheme or '(none)'!r} not probed without the docker CLI"


def detect(
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    *,
    timeout: float = PING_TIMEOUT_S,
    windows: bool = compat.WINDOWS,
) -> Detection:
    """Probe candidates in order until one answers; raise EngineNotFound listing every attempt."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    detection = Detection()
    for candidate in candidates(env, home, windows=windows):
        if isinstance(candidate, str):
            detection.attempts.append(Attempt(Candidate("", "context"), candidate))
            continue
        error = probe(candidate.url, timeout)
        detection.attempts.append(Attempt(candidate, error))
        if error is None:
            return detection
    raise EngineNotFound(detection)
