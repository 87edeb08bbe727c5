"""Running a script the way a person does: a subprocess of this interpreter, output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def run_script(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run scripts/<name> with `args`; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
