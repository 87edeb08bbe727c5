"""The stand-in images: their names, recipes, parents, and the key that their inputs hash to.

Each stand-in replaces an official image of docker-compose.dev.yml through one environment
variable; everything else (the compose file, the launcher, the tests) is the same code path.
The names say what they are: local stand-ins for CI, never pushed anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netra_devtools.paths import CI_IMAGES_DIR, REPO_ROOT

PYTHON_VERSION = "3.11"  # the python:3.11-slim stand-in: Debian bookworm's python3
_LIBRARY = Path(__file__).resolve().parent
_PACKAGE = REPO_ROOT / "netra_devtools"
# The clickhouse stand-in's HTTP bridge and the modules of this package it imports (its error
# base), by where they go on the image's import path: the image carries no netra_devtools else.
BRIDGE_FILES = {
    "clickhouse_http.py": _PACKAGE / "services" / "clickhouse_http.py",
    "netra_devtools/__init__.py": _PACKAGE / "__init__.py",
    "netra_devtools/errors.py": _PACKAGE / "errors.py",
}


@dataclass(frozen=True)
class StandIn:
    """One stand-in image: its tag, the compose variable that selects it, what it is built on."""

    name: str
    tag: str
    env: str
    parent: str | None = None
    # inputs besides its recipe directory (ci/images/<name>): the code that builds it
    extra_inputs: tuple[Path, ...] = ()
    recipes: Path = CI_IMAGES_DIR

    @property
    def recipe(self) -> Path:
        """ci/images/<name>: its Dockerfile, entry point, package lists."""
        return self.recipes / self.name

    def inputs(self) -> list[tuple[str, Path]]:
        """(name, file) of everything it is built from, in a stable order."""
        files = sorted(p for p in self.recipe.rglob("*") if p.is_file())
        named = [(p.relative_to(self.recipe).as_posix(), p) for p in files]
        return named + [(p.name, p) for p in self.extra_inputs]


STANDINS = (
    StandIn(
        "python",
        "netra-ci-standin/python:3.11-slim",
        "NETRA_PYTHON_IMAGE",
        extra_inputs=(_LIBRARY / "rootfs.py",),
    ),
    StandIn("postgres", "netra-ci-standin/postgres:15", "NETRA_POSTGRES_IMAGE", parent="python"),
    StandIn(
        "clickhouse",
        "netra-ci-standin/clickhouse:chdb",
        "NETRA_CLICKHOUSE_IMAGE",
        parent="python",
        extra_inputs=(_LIBRARY / "chdb_layer.py", _LIBRARY / "host_pip.py", *BRIDGE_FILES.values()),
    ),
)
BY_NAME = {s.name: s for s in STANDINS}


def input_keys(standins: Sequence[StandIn] = STANDINS) -> dict[str, str]:
    """name -> sha256 of its tag, its input files and its parent's key (parents listed first)."""
    keys: dict[str, str] = {}
    for standin in standins:
        digest = hashlib.sha256(f"{standin.name}\n{standin.tag}\n".encode())
        if standin.parent:
            digest.update(keys[standin.parent].encode())
        for name, path in standin.inputs():
            digest.update(f"\n{name}\n".encode())
            digest.update(path.read_bytes())
        keys[standin.name] = digest.hexdigest()
    return keys


def with_parents(names: Iterable[str]) -> list[StandIn]:
    """The stand-ins named, each preceded by its parent, in build order."""
    wanted = set(names)
    for name in list(wanted):
        parent = BY_NAME[name].parent
        if parent:
            wanted.add(parent)
    return [s for s in STANDINS if s.name in wanted]


def compose_env(names: Iterable[str] | None = None) -> dict[str, str]:
    """The docker-compose.dev.yml overrides that select the stand-ins (NETRA_*_IMAGE)."""
    chosen = STANDINS if names is None else [BY_NAME[n] for n in names]
    return {s.env: s.tag for s in chosen}
