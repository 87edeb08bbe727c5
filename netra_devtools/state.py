"""`.netra/state.json`: what the launcher runs, or ran. Doctor, fix-port, migrate, serve, health and
down read it; `choose_url` is the one place that decides which DATABASE_URL/CLICKHOUSE_URL a tool
uses (the user's own always wins over the local stack's)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_devtools.errors import BadInput

STATE_DIR_NAME = ".netra"
STATE_FILE_NAME = "state.json"
RUNNING, STOPPED = "running", "stopped"


def state_dir(root: Path | None = None) -> Path:
    """The local state directory (`NETRA_STATE_DIR`, else `.netra/` in the working directory)."""
    override = os.environ.get("NETRA_STATE_DIR")
    if override:
        return Path(override)
    return (root or Path.cwd()) / STATE_DIR_NAME


def load_state(directory: Path | None = None) -> dict[str, Any]:
    """The recorded state, or {} when nothing was recorded.

    Shape: {"mode": "local"|"compose", "ready": bool, "status": "running"|"stopped",
    "processes": [{"name", "pid", "create_time"}] (the launcher itself included; none once
    stopped), "ports": {"backend": 8000, "postgres": 5432, "clickhouse": 8123},
    "urls": {"DATABASE_URL": ..., "CLICKHOUSE_URL": ..., "backend": "http://127.0.0.1:8000"},
    "postgres": {"data_dir", "engine", "major", "port"},
    "logs": {"backend": path}, "log_offsets": {path: bytes before this run},
    "health": "pass"|"warn", "spool_dir": path, "compose": {"project", ...} (compose mode)}
    """
    path = (directory or state_dir()) / STATE_FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(state: dict[str, Any], directory: Path | None = None) -> Path:
    """Write the state atomically (a 0600 temp file, then replace: it holds DATABASE_URL)."""
    directory = directory or state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / STATE_FILE_NAME
    tmp = path.with_suffix(".tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(json.dumps(state, indent=2, sort_keys=True))
    os.replace(tmp, path)
    return path


def clear_state(directory: Path | None = None) -> None:
    """Forget what was running."""
    ((directory or state_dir()) / STATE_FILE_NAME).unlink(missing_ok=True)


def mark_stopped(directory: Path | None = None) -> None:
    """A local stack that stopped keeps its URLs, ports and PostgreSQL (its data stays under
    `.netra/`): `invoke migrate` can start that PostgreSQL again, `invoke serve` and `invoke
    health` can say it is stopped. A compose project leaves nothing behind: forgotten."""
    state = load_state(directory)
    if state.get("mode") != "local":
        clear_state(directory)
        return
    state.update(processes=[], ready=False, status=STOPPED)
    for key in ("health", "health_problems"):  # said of the run that ended
        state.pop(key, None)
    save_state(state, directory)


def stack_status(state: Mapping[str, Any]) -> str:
    """ "running" when a recorded process still runs (pid and create time), "stopped" when the
    state describes a stack whose processes are gone, "" when nothing is recorded."""
    if not state:
        return ""
    if state.get("mode") == "compose":  # recorded by `invoke dev`, forgotten by `invoke down`
        return RUNNING
    from netra_devtools import procs

    for entry in state.get("processes") or []:
        try:
            if procs.is_same_process(int(entry["pid"]), float(entry["create_time"])):
                return RUNNING
        except (KeyError, TypeError, ValueError):
            continue
    return STOPPED


def stack_origin(state: Mapping[str, Any]) -> str:
    """ "the running local stack", "the stopped local stack", "the running compose stack"."""
    return f"the {stack_status(state)} {state.get('mode') or 'local'} stack"


def shown_path(path: Path) -> str:
    """`path` as people should read it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def state_label(directory: Path | None = None) -> str:
    """The state file, as shown to people (`.netra/state.json`)."""
    return shown_path((directory or state_dir()) / STATE_FILE_NAME)


@dataclass(frozen=True)
class UrlChoice:
    """The URL a tool uses for `name` and where it came from (said in the tool's first line)."""

    name: str
    url: str  # "" when neither the user nor a local stack names one
    origin: str  # "your environment", ".env", "the running local stack", "the stopped ..."

    @property
    def from_stack(self) -> bool:
        """True when the URL is the recorded stack's (not the user's own)."""
        return self.origin.endswith(" stack")

    def describe(self) -> str:
        """`DATABASE_URL postgresql://postgres:***@... (the running local stack)`, masked."""
        from netra_backend.redact import mask_url

        if not self.url:
            return f"{self.name} unset"
        return f"{self.name} {mask_url(self.url)} (from {self.origin})"


def user_value(name: str, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(value, origin) of the user's own setting: the environment, else `.env` in the working
    directory (what the backend's Settings read too); ("", "") when unset. A required setting
    (DATABASE_URL) set but empty is bad input, not "unset": BadInput names it."""
    from netra_backend.app.config import REQUIRED_NONEMPTY

    environ = os.environ if environ is None else environ
    file_values: dict[str, str | None] = {}
    env_file = Path(".env")
    if name not in environ and env_file.is_file():
        from dotenv import dotenv_values

        file_values = dotenv_values(env_file)
    for value, origin in ((environ.get(name), "your environment"), (file_values.get(name), ".env")):
        if value is None:
            continue
        if value.strip():
            return value, origin
        if name in REQUIRED_NONEMPTY:
            raise BadInput(f"{name} is set but empty in {origin}: give it a value, or unset it")
    return "", ""


def choose_url(
    name: str, state: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> UrlChoice:
    """The user's own `name` (environment, `.env`) always wins; else the local stack's."""
    value, origin = user_value(name, environ)
    if value:
        return UrlChoice(name, value, origin)
    recorded = (state.get("urls") or {}).get(name) or ""
    if recorded:
        return UrlChoice(name, recorded, stack_origin(state))
    return UrlChoice(name, "", "")
