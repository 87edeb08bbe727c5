"""Wheels of the backend's runtime dependencies, for an image build that cannot reach the index.

The Dockerfile installs from ci/wheelhouse alone (`--no-index`) when it holds wheels, and from
the package index when it is empty (a developer's machine, GitHub). On this machine containers
cannot reach the index, so `invoke images` fills it from the host, where pip can.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from netra_devtools.images.host_pip import host_pip
from netra_devtools.paths import REPO_ROOT, WHEELHOUSE_DIR


def runtime_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The backend's runtime dependencies: pyproject's [project] dependencies."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def fill(dest: Path = WHEELHOUSE_DIR) -> int:
    """Replace the wheels in `dest` with those the backend image needs; returns how many."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):
        old.unlink()
    host_pip(
        "download", "--dest", str(dest), *runtime_requirements(), what="the backend wheelhouse"
    )
    return len(list(dest.glob("*.whl")))
