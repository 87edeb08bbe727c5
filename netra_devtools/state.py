"""`.netra/state.json`: what the launcher runs. Doctor, fix-port, migrate and down read it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_DIR_NAME = ".netra"
STATE_FILE_NAME = "state.json"


def state_dir(root: Path | None = None) -> Path:
    """The local state directory (`NETRA_STATE_DIR`, else `.netra/` in the working directory)."""
    override = os.environ.get("NETRA_STATE_DIR")
    if override:
        return Path(override)
    return (root or Path.cwd()) / STATE_DIR_NAME


def load_state(directory: Path | None = None) -> dict[str, Any]:
    """The recorded state, or {} when nothing runs.

    Shape: {"mode": "local"|"compose", "ready": bool,
    "processes": [{"name", "pid", "create_time"}] (the launcher itself included),
    "ports": {"backend": 8000, "postgres": 5432, "clickhouse": 8123},
    "urls": {"DATABASE_URL": ..., "CLICKHOUSE_URL": ..., "backend": "http://127.0.0.1:8000"},
    "postgres": {"data_dir", "engine", "major", "port"}, "logs": {"backend": path},
    "spool_dir": path, "compose": {"project", ...} (compose mode)}
    """
    path = (directory or state_dir()) / STATE_FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(state: dict[str, Any], directory: Path | None = None) -> Path:
    """Write the state atomically (write to a temp file, then replace)."""
    directory = directory or state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / STATE_FILE_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return path


def clear_state(directory: Path | None = None) -> None:
    """Forget what was running."""
    ((directory or state_dir()) / STATE_FILE_NAME).unlink(missing_ok=True)
