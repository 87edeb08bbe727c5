"""The wheel's copies of the project files the tools read: a setuptools `build_py` hook.

pyproject.toml names BuildPy as the `build_py` command. After the packages are copied into the
build directory, each of netra_devtools.paths.PACKAGED_FILES is copied from the project root
into `netra_devtools/_data/`, so a wheel always carries the project's files as they are at build
time: nothing to regenerate, nothing that can drift. A missing file fails the build. An sdist
includes them too (get_source_files); an editable install reads the checkout and gets no copies.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parents[1]


def _paths_module() -> ModuleType:
    """netra_devtools/paths.py loaded by file (the build runs before the package is installed)."""
    path = ROOT / "netra_devtools" / "paths.py"
    spec = importlib.util.spec_from_file_location("_netra_paths", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_files() -> list[Path]:
    """Every file PACKAGED_FILES names (a directory stands for the files under it)."""
    found = []
    for name in _paths_module().PACKAGED_FILES:
        source = ROOT / name
        if not source.exists():
            raise FileNotFoundError(f"the wheel ships {name}, which is missing from {ROOT}")
        found += (
            sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        )
    return found


def copy_project_files(package_dir: Path) -> list[Path]:
    """Copy every project file to `package_dir`/_data/, laid out as in the project root."""
    target = package_dir / _paths_module().PACKAGED_DIR
    written = []
    for source in project_files():
        out = target / source.relative_to(ROOT)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out)
        written.append(out)
    return written


class BuildPy(build_py):  # type: ignore[misc]  # setuptools is untyped
    """build_py, then the project files into the built netra_devtools package."""

    def run(self) -> None:
        """Build the packages; a regular (not editable) build also gets the project files."""
        super().run()
        if not getattr(self, "editable_mode", False):
            copy_project_files(Path(self.build_lib) / "netra_devtools")

    def get_source_files(self) -> list[str]:
        """What an sdist must hold: the packages' sources, the project files and this hook."""
        hook = Path(__file__).resolve().relative_to(ROOT).as_posix()
        return [
            hook,
            *super().get_source_files(),
            *(p.relative_to(ROOT).as_posix() for p in project_files()),
        ]
