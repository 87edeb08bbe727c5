"""The repository's import graph, read from the source (ast), for the layering rules."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("netra_backend", "netra_devtools", "tools", "benchmarks")


@dataclass(frozen=True)
class Import:
    """One import statement: who imports what, at which line, and whether only for typing."""

    source: str
    target: str
    line: int
    typing_only: bool


def module_name(path: Path) -> str:
    """`netra_devtools/ports/cli.py` -> `netra_devtools.ports.cli`; scripts keep their path."""
    rel = path.relative_to(REPO)
    if rel.parts[0] == "scripts" or rel.name == "tasks.py":
        return rel.as_posix()
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    """Every Python file of the packages, scripts/ and tasks.py."""
    files = [p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))]
    return files + sorted((REPO / "scripts").glob("*.py")) + [REPO / "tasks.py"]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, package: str, level: int) -> str:
    if level == 0:
        return module
    base = package.split(".")
    base = base[: len(base) - level + 1]
    return ".".join([*base, module] if module else base)


def imports_of(path: Path, known: set[str]) -> list[Import]:
    """The imports of one file; `from pkg import sub` points at pkg.sub when that is a module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                typing_lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    found = []
    for node in ast.walk(tree):
        typing_only = getattr(node, "lineno", 0) in typing_lines
        if isinstance(node, ast.Import):
            found += [Import(name, a.name, node.lineno, typing_only) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", package, node.level)
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            targets = subs if len(subs) == len(node.names) else [*subs, base]
            found += [Import(name, t, node.lineno, typing_only) for t in targets]
    return found


def import_graph() -> tuple[set[str], list[Import]]:
    """(every module name, every import between or out of them)."""
    files = source_files()
    known = {module_name(p) for p in files}
    return known, [imp for p in files for imp in imports_of(p, known)]


def cycles(known: set[str], edges: list[Import]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan); typing-only imports count too."""
    graph: dict[str, set[str]] = {m: set() for m in known}
    for imp in edges:
        if imp.target in known and imp.target != imp.source:
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups
