"""Wheels of the backend's runtime dependencies, for an image build that cannot reach the index.

The Dockerfile installs from ci/wheelhouse alone (`--no-index`) when it holds wheels, and from
the package index when it is empty (a developer's machine, GitHub). On this machine containers
cannot reach the index, so `invoke images` fills it from the host, where pip can.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from netra_devtools.images.errors import ImageBuildError
from netra_devtools.images.recipes import PYTHON_VERSION
from netra_devtools.paths import REPO_ROOT, WHEELHOUSE_DIR

PIP_TIMEOUT_S = 900


def runtime_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The backend's runtime dependencies: pyproject's [project] dependencies."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def fill(dest: Path = WHEELHOUSE_DIR) -> int:
    """Replace the wheels in `dest` with those the backend image needs; returns how many."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):
        old.unlink()
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        f"--python-version={PYTHON_VERSION}",
        "--dest",
        str(dest),
        *runtime_requirements(),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-2:]
        raise ImageBuildError(f"pip download for the backend wheelhouse failed: {' | '.join(tail)}")
    return len(list(dest.glob("*.whl")))
