"""Isolated checks for netra-devtools: `nox -l` lists them, `nox -s NAME` runs one."""

from __future__ import annotations

import sys

import nox

PYTHON_VERSIONS = ["3.11", "3.12", "3.13"]
EMBEDDED = ".[dev,embedded]"
DEV = ".[dev]"

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = False


def _install(session: nox.Session, *, embedded: bool = False) -> None:
    session.install("-e", EMBEDDED if embedded else DEV)


def _pytest(session: nox.Session, *args: str, coverage: bool = False) -> None:
    cov = ["--cov", "--cov-report=term", "--cov-report=xml"] if coverage else []
    session.run("pytest", *cov, *args, *session.posargs)


@nox.session(python=PYTHON_VERSIONS)
def tests(session: nox.Session) -> None:
    """The whole suite: unit, integration and Docker-backed tests, with coverage."""
    _install(session, embedded=sys.platform != "win32")
    _pytest(session, coverage=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def learnings(session: nox.Session) -> None:
    """SPEC/learnings: XSD, ids, signatures vs examples/near-misses, references, docs up to date."""
    _install(session)
    session.run("python", "-m", "netra_devtools.learnings", *session.posargs)
    session.run(
        "pytest", "-q", "tests/unit/test_learnings.py", "tests/unit/test_learnings_loader.py"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark under benchmarks/ and write docs/benchmarks.md."""
    _install(session, embedded=True)
    session.run("python", "-m", "benchmarks", *session.posargs)
