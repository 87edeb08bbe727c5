"""The layering docs/ARCHITECTURE.md draws, enforced on the imports the source really has."""

from __future__ import annotations

import sys

import pytest

from tests.support.imports import Import, cycles, import_graph

KNOWN, IMPORTS = import_graph()

# top to bottom: a module never imports one from a layer above its own
BACKEND_LAYERS = [
    ["netra_backend.__main__", "netra_backend.app.main", "netra_backend.admin_client"],
    [
        "netra_backend.app.startup_module",
        "netra_backend.app.routes",
        "netra_backend.app.body_limit",
        "netra_backend.app.validation_errors",
        "netra_backend.app.admin_token",
    ],
    ["netra_backend.app.health_monitor"],
    ["netra_backend.app.alembic"],
    ["netra_backend.app.analytics", "netra_backend.app.db"],
    ["netra_backend.app.config"],
    [
        "netra_backend.redact",
        "netra_backend.compat",
        "netra_backend.cli",
        "netra_backend.logging_setup",
        "netra_backend.errors",
    ],
]
# packages of one layer that must not know each other
INDEPENDENT = [("netra_backend.app.analytics", "netra_backend.app.db")]
# platform module -> the one selector allowed to import it
PLATFORM_MODULES = {
    "netra_devtools.ports._windows": "netra_devtools.ports._diagnose",
    "netra_devtools.ports._posix": "netra_devtools.ports._diagnose",
    "netra_devtools.ports._linux": "netra_devtools.ports._posix",
    "netra_devtools.procs._windows": "netra_devtools.procs",
    "netra_devtools.procs._posix": "netra_devtools.procs",
    "netra_devtools.docker._windows": "netra_devtools.docker.detect",
    "netra_devtools.docker._posix": "netra_devtools.docker.detect",
    "netra_devtools.services._pg_windows": "netra_devtools.services.pg_runtime",
    "netra_devtools.services._pg_posix": "netra_devtools.services.pg_runtime",
    "netra_devtools.services.shared_cache": "netra_devtools.services._pg_posix",
    "netra_backend.app.analytics.spool._windows": "netra_backend.app.analytics.spool.records",
    "netra_backend.app.analytics.spool._posix": "netra_backend.app.analytics.spool.records",
}
OS_NAMES = {"posix", "windows", "linux", "darwin", "macos"}
STDLIB = set(sys.stdlib_module_names)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _ours(imp: Import) -> bool:
    return imp.target.split(".")[0] in ("netra_backend", "netra_devtools", "tools", "benchmarks")


def _violations(rule: object) -> list[str]:
    return [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS if rule(i)]  # type: ignore[operator]


def test_backend_imports_nothing_of_the_tooling() -> None:
    bad = _violations(
        lambda i: _within(i.source, "netra_backend") and _within(i.target, "netra_devtools")
    )
    assert bad == []


def test_scripts_and_tasks_import_only_a_tools_cli() -> None:
    def rule(i: Import) -> bool:
        edge = i.source.startswith("scripts/") or i.source == "tasks.py"
        edge = edge or _within(i.source, "netra_devtools.tasks")
        if not edge or i.target.split(".")[0] in STDLIB | {"invoke", "__future__"}:
            return False
        allowed = i.target.endswith(".cli") and i.target.count(".") == 2
        return not (allowed or _within(i.target, "netra_devtools.tasks"))

    assert _violations(rule) == []


def test_library_never_imports_scripts_or_tasks() -> None:
    def rule(i: Import) -> bool:
        library = _within(i.source, "netra_devtools") and not _within(
            i.source, "netra_devtools.tasks"
        )
        return library and (
            _within(i.target, "netra_devtools.tasks") or i.target in ("tasks", "scripts")
        )

    assert _violations(rule) == []


def _layer(module: str) -> int | None:
    for depth, layer in enumerate(BACKEND_LAYERS):
        if any(_within(module, prefix) for prefix in layer):
            return depth
    return None


def test_backend_layers_point_down_only() -> None:
    def rule(i: Import) -> bool:
        source, target = _layer(i.source), _layer(i.target)
        return source is not None and target is not None and target < source

    assert _violations(rule) == []


@pytest.mark.parametrize(("one", "other"), INDEPENDENT)
def test_independent_packages_do_not_know_each_other(one: str, other: str) -> None:
    bad = _violations(
        lambda i: (
            (_within(i.source, one) and _within(i.target, other))
            or (_within(i.source, other) and _within(i.target, one))
        )
    )
    assert bad == []


def test_platform_modules_are_imported_only_by_their_selector() -> None:
    for module in PLATFORM_MODULES:
        assert module in KNOWN, f"{module} is gone: update PLATFORM_MODULES"
    named = {m for m in KNOWN if m.rsplit(".", 1)[-1].lstrip("_").split("_")[-1] in OS_NAMES}
    assert named <= set(PLATFORM_MODULES), f"platform modules without a selector: {named}"
    bad = _violations(
        lambda i: i.target in PLATFORM_MODULES and i.source != PLATFORM_MODULES[i.target]
    )
    assert bad == []


def test_alembic_versions_import_only_the_idempotent_helpers() -> None:
    def rule(i: Import) -> bool:
        if not _within(i.source, "netra_backend.app.alembic.versions"):
            return False
        third_party = {"alembic", "sqlalchemy", "__future__"} | STDLIB
        return i.target.split(".")[0] not in third_party and (
            i.target != "netra_backend.app.alembic.idempotent"
        )

    assert _violations(rule) == []


def test_no_import_cycles() -> None:
    assert cycles(KNOWN, IMPORTS) == []


def test_the_graph_sees_the_imports_it_judges() -> None:
    """The rules above are only as good as the graph: it must see known edges of each kind."""
    edges = {(i.source, i.target) for i in IMPORTS if _ours(i)}
    assert ("scripts/fix_port_8000_windows.py", "netra_devtools.ports.cli") in edges
    assert ("netra_backend.app.main", "netra_backend.app.startup_module") in edges
    assert ("netra_devtools.ports._diagnose", "netra_devtools.ports._posix") in edges
    lazy = {(i.source, i.target) for i in IMPORTS if i.typing_only}
    assert lazy, "imports under TYPE_CHECKING are part of the graph"
