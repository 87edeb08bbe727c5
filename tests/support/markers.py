"""Markers come from where a test lives (its directory under tests/), never from the test itself.

`tests/conftest.py` registers MARKERS and applies `markers_for()` to every collected test, so
`pytest -m windows` selects exactly tests/windows/, and a file moved between directories changes
its markers with it. `docker` is the one marker read from what a test asks for: a test that needs
a Docker engine is one that requests the engine fixture, wherever it lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]

MARKERS = {
    "integration": "needs a real service (PostgreSQL, ClickHouse engine, processes, sockets); "
    "every directory but tests/unit/",
    "docker": "needs a real Docker engine (the test requests the docker_host fixture)",
    "windows": "tests/windows/: live checks that run only on Windows (netsh, the firewall)",
    "degradation": "tests/degradation/: the backend degrades when ClickHouse is absent or faulty; "
    "needs no ClickHouse engine (nox -s windows-live)",
    "compose": "tests/compose/: the compose stack end to end against a real Docker engine",
    "newcomer": "tests/newcomer/: a fresh clone and a fresh venv, as a newcomer starts",
    "fuzz": "tests/fuzz/: property-based tests (hypothesis) over parsers and schemas",
}

# tests/<directory>/ -> the markers its tests carry; a directory not named here carries none.
DIRECTORY_MARKERS: dict[str, tuple[str, ...]] = {
    "integration": ("integration",),
    "scripts": ("integration",),  # scripts run as real processes
    "windows": ("integration", "windows"),
    "degradation": ("integration", "degradation"),
    "compose": ("integration", "compose"),
    "newcomer": ("integration", "newcomer"),
    "fuzz": ("fuzz",),
}

# fixture -> the marker a test that requests it (directly or through another fixture) carries
FIXTURE_MARKERS = {"docker_host": "docker"}


def markers_for(path: Path, fixturenames: Iterable[str]) -> list[str]:
    """The markers of a test in `path` that requests `fixturenames`, in MARKERS' order."""
    try:
        directory = path.resolve().relative_to(TESTS_DIR).parts[0]
    except ValueError:  # a test outside tests/ (a throwaway tree in a rule test) has none
        directory = ""
    names = set(DIRECTORY_MARKERS.get(directory, ()))
    names.update(FIXTURE_MARKERS[f] for f in fixturenames if f in FIXTURE_MARKERS)
    return [name for name in MARKERS if name in names]
