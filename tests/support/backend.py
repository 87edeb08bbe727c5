"""A real backend on its own fresh database, for fixtures shared by a module's tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netra_devtools.services.backend import BackendProcess, start_backend


@contextlib.contextmanager
def backend_on_fresh_database(
    postgres_server: Any, log_dir: Path, **env: str
) -> Iterator[BackendProcess]:
    """Start `python -m netra_backend` with `env` on a new database; stop it, drop the database."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    process = start_backend({"DATABASE_URL": url, **env}, log_dir=log_dir)
    try:
        process.wait_for("/health/ready", 200, timeout=30)
        yield process
    finally:
        process.stop()
        postgres_server.drop_database(name)
