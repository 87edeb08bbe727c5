"""Run the backend's Alembic migrations against the right database (the library of `invoke migrate`).

Which database: DATABASE_URL, else the local stack's from .netra/state.json (started when it is
down), else an error. Never a throwaway database that would vanish with the process.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netra_devtools.errors import BadInput, MigrationFailed, NetraDevtoolsError, StackError
from netra_devtools.paths import ALEMBIC_INI


class NoDatabaseConfigured(NetraDevtoolsError):
    """Neither DATABASE_URL nor a local stack names a database."""


@dataclass(frozen=True)
class Target:
    """The database to migrate and where its URL came from (for the message)."""

    url: str
    source: str


def _reachable(url: str, timeout: float = 2.0) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), timeout):
            return True
    except OSError:
        return False


def _start_local_postgres(state: Mapping[str, Any]) -> None:
    """Start the local stack's persistent cluster on its recorded port."""
    from netra_devtools.services import postgres
    from netra_devtools.state import state_dir

    port = (state.get("postgres") or {}).get("port") or (state.get("ports") or {}).get("postgres")
    try:
        postgres.open_persistent(state_dir(), port=int(port) if port else None)
    except (postgres.PostgresUnavailable, postgres.PostgresStartError) as exc:
        raise StackError(f"the local stack's PostgreSQL did not start: {exc}") from exc


def resolve_target(environ: Mapping[str, str] | None = None) -> Target:
    """DATABASE_URL, else the local stack's database (starting it if needed), else an error."""
    from netra_backend.app.config import normalise_database_url
    from netra_devtools.state import load_state

    environ = os.environ if environ is None else environ
    if "DATABASE_URL" in environ and not environ["DATABASE_URL"].strip():
        raise BadInput("DATABASE_URL is set but empty: give it a value, or unset it")
    if environ.get("DATABASE_URL"):
        return Target(normalise_database_url(environ["DATABASE_URL"]), "DATABASE_URL")
    state = load_state()
    url = (state.get("urls") or {}).get("DATABASE_URL")
    if not url:
        raise NoDatabaseConfigured(
            "no database to migrate: set DATABASE_URL, or start the local stack with `invoke dev`"
        )
    url = normalise_database_url(url)
    if not _reachable(url) and (state.get("mode") == "local" or state.get("postgres")):
        _start_local_postgres(state)
    return Target(url, ".netra/state.json")


def alembic_config(url: str) -> Any:
    """An Alembic Config for the repo's alembic.ini, aimed at `url`, logging left to us."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    config.attributes["configure_logger"] = False
    return config


def script_directory() -> Any:
    """The backend's revisions (alembic's ScriptDirectory); no database needed."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql+psycopg2://unused/x"))


def check_revision(revision: str) -> None:
    """Raise BadInput unless `revision` names a revision (or head/base/a relative step)."""

    if re.fullmatch(r"\w*[+-]\d+", revision):  # relative steps (+1, -2, head-1) resolve later
        return
    try:
        script_directory().revision_map.get_revisions(revision)
    except Exception:  # alembic raises several kinds for unknown, ambiguous or malformed ids
        raise BadInput(f"unknown revision {revision!r} (see `alembic history`)") from None


def migrate(url: str, *, revision: str | None = None, downgrade: bool = False) -> str:
    """Upgrade (default: head) or downgrade (default: one step) `url`; return the new version."""
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config(url)
    try:
        if downgrade:
            command.downgrade(config, revision or "-1")
        else:
            command.upgrade(config, revision or "head")
    except CommandError as exc:  # our env.py's errors are CommandErrors with one clear line
        raise MigrationFailed(str(exc)) from exc
    return current_version(url)


def current_version(url: str) -> str:
    """The version(s) recorded in the database, or "base" when none is."""
    from netra_backend.app.alembic import runtime

    engine = runtime.make_engine(url)
    try:
        with runtime.connect(engine) as connection:
            heads = runtime.current_heads(connection)
    finally:
        engine.dispose()
    return ", ".join(sorted(heads)) or "base"


def head_version() -> str:
    """The newest revision in the code ("base" when there is none); no database needed."""
    return ", ".join(sorted(script_directory().get_heads())) or "base"


def drift(url: str) -> list[str]:
    """How the database's schema differs from the models (empty when they match)."""
    from netra_backend.app.alembic import runtime

    engine = runtime.make_engine(url)
    try:
        with runtime.connect(engine) as connection:
            return model_differences(connection)
    finally:
        engine.dispose()


def model_differences(connection: Any, metadata: Any = None) -> list[str]:
    """How the schema on `connection`'s search path differs from `metadata` (default: the models)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    if metadata is None:
        from netra_backend.app.db.models import Base

        metadata = Base.metadata
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [describe_difference(diff) for diff in compare_metadata(context, metadata)]


def describe_difference(diff: Any) -> str:
    """One line per autogenerate difference ("remove_column userbase.extra")."""
    if isinstance(diff, list):  # modify_* differences of one column come grouped
        return "; ".join(describe_difference(d) for d in diff)
    kind = diff[0]
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, Column)
        return f"{kind} {diff[2]}.{diff[3].name}"
    if kind.startswith("modify_"):  # (kind, schema, table, column, ...)
        return f"{kind} {diff[2]}.{diff[3]}"
    item = diff[1]  # add/remove of a table, index, constraint: the object itself
    return f"{kind} {getattr(item, 'name', item)}"
