"""Compose mode: drive `docker compose` (v2) or `docker-compose` (v1), wait for health, tail logs.

Health is read from the engine through the Docker SDK (containers labelled with the compose
project), the same way for both compose generations.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_devtools.errors import NetraDevtoolsError

COMPOSE_TIMEOUT_S = 600
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


class ComposeUnavailable(NetraDevtoolsError, RuntimeError):
    """Neither `docker compose` nor `docker-compose` runs here."""


class ComposeCommandFailed(NetraDevtoolsError, RuntimeError):
    """A compose command exited non-zero; the message carries its last output line."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output  # everything it printed: the cause is rarely on the last line


def compose_command() -> list[str]:
    """`docker compose` when the v2 plugin answers, else `docker-compose` (v1)."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=20, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    raise ComposeUnavailable(
        "neither `docker compose` (v2 plugin) nor `docker-compose` is installed"
    )


@dataclass
class ComposeProject:
    """One compose project: file, project name, profiles and the environment compose sees."""

    file: Path
    project: str = "netra"
    profiles: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)

    def args(self, *subcommand: str) -> list[str]:
        """The full command line; global options before the subcommand (v1 requires it)."""
        cmd = self.command or compose_command()
        profiles = [arg for p in self.profiles for arg in ("--profile", p)]
        return [*cmd, "-f", str(self.file), "-p", self.project, *profiles, *subcommand]

    def run(self, *subcommand: str, timeout: float = COMPOSE_TIMEOUT_S) -> str:
        """Run one compose subcommand and return its stdout; ComposeCommandFailed on failure."""
        return self.run_with_output(*subcommand, timeout=timeout)[0]

    def run_with_output(
        self, *subcommand: str, timeout: float = COMPOSE_TIMEOUT_S
    ) -> tuple[str, str]:
        """Run one compose subcommand: (stdout, stderr); ComposeCommandFailed on failure."""
        done = subprocess.run(
            self.args(*subcommand),
            env={**os.environ, **self.env},
            cwd=self.file.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            raise ComposeCommandFailed(
                f"compose {' '.join(subcommand)}: {lines[-1]}", done.stdout + done.stderr
            )
        return done.stdout, done.stderr

    def config(self) -> dict[str, Any]:
        """The resolved configuration (`compose config`), as a dict."""
        import yaml  # type: ignore[import-untyped,unused-ignore]

        data = yaml.safe_load(self.run("config", timeout=60))
        return data if isinstance(data, dict) else {}


def active_services(config: Mapping[str, Any], profiles: Sequence[str] = ()) -> list[str]:
    """Services that `up` starts: no profile, or one of `profiles` (v1's config lists them all)."""
    return [
        name
        for name, service in (config.get("services") or {}).items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    ]


def required_images(
    config: Mapping[str, Any], base: Path, profiles: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Per service, the images it needs: its image, or for a build the Dockerfile's FROM images."""
    needed: dict[str, list[str]] = {}
    services = config.get("services") or {}
    wanted = set(services) if profiles is None else set(active_services(config, profiles))
    for name, service in services.items():
        if name not in wanted:
            continue
        build = service.get("build")
        if build:
            build = build if isinstance(build, dict) else {"context": build}
            context = Path(build.get("context", "."))
            path = (context if context.is_absolute() else base / context) / build.get(
                "dockerfile", "Dockerfile"
            )
            needed[name] = _from_images(path, _build_args(build.get("args")))
        elif service.get("image"):
            needed[name] = [str(service["image"])]
    return needed


def _build_args(args: Any) -> dict[str, str]:
    """A build's args (a mapping, or v1's list of NAME=value) as a dict."""
    if isinstance(args, dict):
        return {str(k): "" if v is None else str(v) for k, v in args.items()}
    pairs = (str(item).partition("=") for item in args or [])
    return {name: value for name, _, value in pairs}


_VARIABLE = re.compile(r"\$(?:\{(\w+)(?:(:?-)([^}]*))?\}|(\w+))")


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """A Dockerfile's `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME-default}`."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        given = values.get(name)
        if match.group(2) == ":-" and not given:
            return match.group(3)
        if match.group(2) == "-" and given is None:
            return match.group(3)
        return given or ""

    return _VARIABLE.sub(value, text)


def _from_images(dockerfile: Path, build_args: Mapping[str, str] | None = None) -> list[str]:
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except OSError:
        return []
    # ARGs before the first FROM may name the base image; build args override their defaults
    head = re.split(r"^\s*FROM\b", text, maxsplit=1, flags=re.I | re.M)[0]
    values = {
        m.group(1): m.group(2) or ""
        for m in re.finditer(r"^\s*ARG\s+(\w+)(?:=(\S*))?", head, re.I | re.M)
    }
    values.update({k: v for k, v in (build_args or {}).items() if "${" not in v})
    stages: set[str] = set()
    images: list[str] = []
    for match in re.finditer(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", text, re.I | re.M):
        image, alias = _substitute(match.group(1), values), match.group(2)
        if image and image not in stages and image.lower() != "scratch":
            images.append(image)
        if alias:
            stages.add(alias)
    return images


def missing_images(client: Any, images: Sequence[str], *, pull_timeout: float = 8) -> list[str]:
    """The images that are neither present locally nor resolvable from their registry."""
    import docker.errors

    missing: list[str] = []
    for image in images:
        try:
            client.images.get(image)
            continue
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError:
            missing.append(image)
            continue
        try:
            client.api.inspect_distribution(image)  # asks the registry; no pull
        except Exception:  # no registry, unknown image, auth, timeout: not pullable now
            missing.append(image)
    return missing


@dataclass
class ServiceState:
    """A service's container state as the engine reports it."""

    service: str
    status: str  # missing | created | starting | healthy | unhealthy | running | exited | dead | restarting
    exit_code: int | None = None
    container_id: str | None = None

    @property
    def ready(self) -> bool:
        """Healthy, or running when the service has no healthcheck."""
        return self.status in ("healthy", "running")

    @property
    def failed(self) -> bool:
        """Stopped for good: waiting longer will not help."""
        return self.status in ("exited", "dead")

    def label(self) -> str:
        """Status for people, with the exit code when it stopped."""
        if self.failed and self.exit_code is not None:
            return f"{self.status} ({self.exit_code})"
        return self.status


def service_states(client: Any, project: str, services: Sequence[str]) -> dict[str, ServiceState]:
    """The current state of each service of `project` (missing when it has no container)."""
    states = {name: ServiceState(name, "missing") for name in services}
    containers = client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
    for container in containers:
        name = container.labels.get(SERVICE_LABEL, "")
        if name not in states:
            continue
        info = container.attrs.get("State", {})
        status = info.get("Status", "unknown")
        health = (info.get("Health") or {}).get("Status")
        if status == "running" and health:
            status = health  # starting | healthy | unhealthy
        states[name] = ServiceState(name, status, info.get("ExitCode"), container.id)
    return states


@dataclass
class WaitResult:
    """How waiting ended: every service ready, or the ones that were not."""

    ready: bool
    states: dict[str, ServiceState]
    elapsed: float
    reason: str = ""

    @property
    def failing(self) -> list[ServiceState]:
        """The services that are not ready, stopped ones first."""
        bad = [s for s in self.states.values() if not s.ready]
        return sorted(bad, key=lambda s: not s.failed)


def wait_until_healthy(
    client: Any,
    project: str,
    services: Sequence[str],
    *,
    timeout: float,
    interval: float = 0.5,
    on_update: Callable[[dict[str, ServiceState]], None] | None = None,
) -> WaitResult:
    """Poll until every service is ready; stop early when one exits; give up after `timeout`."""
    start = time.monotonic()
    while True:
        states = service_states(client, project, services)
        if on_update:
            on_update(states)
        elapsed = time.monotonic() - start
        if all(s.ready for s in states.values()):
            return WaitResult(True, states, elapsed)
        stopped = [s for s in states.values() if s.failed]
        if stopped:
            names = ", ".join(f"{s.service} {s.label()}" for s in stopped)
            return WaitResult(False, states, elapsed, f"stopped: {names}")
        if elapsed >= timeout:
            names = ", ".join(f"{s.service} {s.label()}" for s in states.values() if not s.ready)
            return WaitResult(False, states, elapsed, f"not ready after {timeout:.0f}s: {names}")
        time.sleep(interval)


def log_tail(client: Any, state: ServiceState, lines: int = 20) -> list[str]:
    """The last `lines` log lines of a service's container (stdout and stderr)."""
    if not state.container_id:
        return []
    raw: bytes = client.containers.get(state.container_id).logs(
        tail=lines, stdout=True, stderr=True
    )
    return raw.decode("utf-8", errors="replace").splitlines()
