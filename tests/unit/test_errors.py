"""One error hierarchy per package: every error class has its package's base, and only the CLI
edge raises the CLI's own UsageError/ProblemFound."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys

import pytest

from netra_backend.errors import NetraBackendError
from netra_devtools.errors import NetraDevtoolsError
from tests.support.imports import REPO, module_name, source_files

# the package -> the base every exception class it defines must have (tools/ is tooling too)
BASES: dict[str, type[Exception]] = {
    "netra_backend": NetraBackendError,
    "netra_devtools": NetraDevtoolsError,
    "tools": NetraDevtoolsError,
}
# modules that do work when imported: entry points, and alembic's env (runs a migration)
NOT_IMPORTABLE = ("__main__", "netra_backend.app.alembic.env", "netra_backend.app.alembic.versions")
PLATFORM_PARTS = {
    "linux": {"posix", "linux"},
    "darwin": {"posix", "darwin"},
    "win32": {"windows"},
}
CLI_ONLY = {"UsageError", "ProblemFound"}


def _this_platform_imports(name: str) -> bool:
    """Platform modules assert their platform: import only this platform's ones."""
    part = name.rsplit(".", 1)[-1].lstrip("_").split("_")[-1]
    if part not in {"posix", "linux", "darwin", "windows"}:
        return True
    return part in PLATFORM_PARTS.get(sys.platform, {"posix"})


def _library_modules() -> list[str]:
    names = [module_name(p) for p in source_files()]
    return sorted(
        n
        for n in names
        if n.split(".")[0] in BASES
        and not any(
            n == skip or n.startswith(skip + ".") or n.endswith(skip) for skip in NOT_IMPORTABLE
        )
        and _this_platform_imports(n)
    )


def _error_classes() -> list[tuple[str, type[BaseException]]]:
    found = []
    for name in _library_modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, BaseException):
                found.append((f"{name}.{obj.__qualname__}", obj))
    return found


ERROR_CLASSES = _error_classes()


def test_the_library_defines_error_classes_to_check() -> None:
    names = {qualified.rsplit(".", 1)[-1] for qualified, _ in ERROR_CLASSES}
    assert {"SettingsError", "SpoolLockedError", "SourceError", "CheckError"} <= names
    assert len(ERROR_CLASSES) >= 30


@pytest.mark.parametrize(("qualified", "cls"), ERROR_CLASSES, ids=[q for q, _ in ERROR_CLASSES])
def test_every_error_class_has_its_package_base(qualified: str, cls: type[BaseException]) -> None:
    base = BASES[qualified.split(".")[0]]
    assert issubclass(cls, base), f"{qualified} is not a {base.__name__}"
    assert isinstance(getattr(cls, "exit_code", None), int)


def test_errors_that_callers_catch_by_a_standard_base_keep_it() -> None:
    from alembic.util import CommandError

    from netra_backend.app.alembic.runtime import MigrationError
    from netra_backend.app.config import SettingsError
    from netra_devtools.analytics.spool_admin import SpoolAdminError

    assert issubclass(SettingsError, ValueError) and SettingsError.exit_code == 2
    assert issubclass(MigrationError, CommandError) and MigrationError.exit_code == 1
    assert issubclass(SpoolAdminError, RuntimeError)


def _cli_errors_raised_outside_the_edge() -> list[str]:
    found = []
    for path in source_files():
        rel = path.relative_to(REPO).as_posix()
        if path.name == "cli.py" or rel.split("/")[0] not in BASES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            raised = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(raised, ast.Call):
                raised = raised.func
            name = getattr(raised, "id", getattr(raised, "attr", None))
            bases = [getattr(b, "id", getattr(b, "attr", None)) for b in getattr(node, "bases", [])]
            if name in CLI_ONLY or CLI_ONLY & set(bases):
                found.append(f"{rel}:{node.lineno}")
    return found


def test_only_the_cli_modules_raise_or_extend_the_clis_own_errors() -> None:
    assert _cli_errors_raised_outside_the_edge() == []
