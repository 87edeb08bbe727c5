"""pip on the host for the images: wheels for the images' Python, fetched where the index is
reachable (containers here cannot reach it)."""

from __future__ import annotations

import subprocess
import sys

from netra_devtools.images.errors import ImageBuildError
from netra_devtools.images.recipes import PYTHON_VERSION

PIP_TIMEOUT_S = 900


def host_pip(command: str, *args: str, what: str) -> None:
    """`pip COMMAND ARGS` with binary wheels for PYTHON_VERSION only; ImageBuildError naming
    `what` (and pip's last lines) when it fails."""
    argv = [
        sys.executable,
        "-m",
        "pip",
        command,
        "--quiet",
        *args,
        "--only-binary=:all:",
        f"--python-version={PYTHON_VERSION}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-2:]
        raise ImageBuildError(f"pip {command} for {what} failed: {' | '.join(tail)}")
