"""invoke task bodies; tasks.py only collects them. Each task calls a script's `main(argv)`."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "scripts"


def run_script(name: str, argv: Iterable[str]) -> None:
    """Run scripts/<name>.py's main(argv) and exit with its code (invoke.Exit on non-zero)."""
    from invoke import Exit

    spec = importlib.util.spec_from_file_location(
        f"netra_script_{name}", SCRIPTS_DIR / f"{name}.py"
    )
    if spec is None or spec.loader is None:
        raise Exit(f"error: script not found: scripts/{name}.py", code=2)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exit_with(module.main([str(arg) for arg in argv]))


def exit_with(code: int) -> None:
    """Hand a CLI's exit code to invoke (which exits with it when non-zero)."""
    from invoke import Exit

    if code:
        raise Exit(code=code)


def flag(name: str, value: bool) -> list[str]:
    """`--name` when value is true, else nothing."""
    return [f"--{name}"] if value else []


def option(name: str, value: object) -> list[str]:
    """`--name value` when value is set, else nothing."""
    return [f"--{name}", str(value)] if value not in (None, "") else []
