"""Alembic environment: URL from Settings, a bounded advisory lock, a lock-free fast path at head.

`-x` options: `url=...` (overrides Settings), `lock_timeout=SECONDS` (also
NETRA_MIGRATION_LOCK_TIMEOUT). Test-only: `test_pause_after=REV:SECONDS` sleeps inside REV's
transaction after its DDL, so a test can kill the process mid-revision.
"""

from __future__ import annotations

import logging
import sys
import time
from logging.config import fileConfig
from typing import Any

from alembic import context

from netra_backend.app.alembic import runtime
from netra_backend.app.config import normalise_database_url
from netra_backend.app.db.models import Base

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("netra.migrations")
x_args = context.get_x_argument(as_dictionary=True)


def database_url() -> str:
    """`-x url=`, else the main option set by the migrate tool, else Settings."""
    url = x_args.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from netra_backend.app.config import get_settings

        url = get_settings().database_url
    return normalise_database_url(url)


def destination() -> tuple[bool, bool]:
    """(locking, to_head): upgrade/downgrade/stamp name a destination; current/check do not."""
    try:
        resolved = context.get_revision_argument()
    except KeyError:  # no destination: a read-only command needs no lock
        return False, False
    except Exception:  # relative or partial revisions: lock, and let alembic resolve them
        return True, False
    resolved_set = set(resolved) if isinstance(resolved, tuple) else {resolved}
    return True, resolved_set == set(context.script.get_heads())


def _test_pause_hook() -> Any:
    spec = x_args.get("test_pause_after")
    if not spec:
        return None
    revision, seconds = spec.split(":")

    def pause(*, step: Any, **_: Any) -> None:
        if step.up_revision_id == revision and step.is_upgrade:
            print(f"netra-test-pause {revision}", file=sys.stderr, flush=True)
            time.sleep(float(seconds))

    return pause


def run_migrations(connection: Any) -> None:
    """Run the revisions on `connection`, one transaction per revision."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        transaction_per_migration=True,
        compare_type=True,
        on_version_apply=_test_pause_hook(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Fast path at head without a lock; otherwise lock, re-check, migrate, unlock."""
    engine = runtime.make_engine(database_url())
    heads = set(context.script.get_heads())
    locking, to_head = destination()
    try:
        if not locking:
            with runtime.connect(engine) as connection:
                run_migrations(connection)
            return
        with runtime.connect(engine) as raw_guard:
            guard = raw_guard.execution_options(isolation_level="AUTOCOMMIT")
            if to_head and runtime.current_heads(guard) == heads:
                log.info("database already at head (%s); nothing to do", ", ".join(sorted(heads)))
                return
            with runtime.advisory_lock(guard, runtime.lock_timeout(x_args.get("lock_timeout"))):
                if to_head and runtime.current_heads(guard) == heads:
                    log.info("another process migrated to head while we waited; nothing to do")
                    return
                with runtime.connect(engine) as connection:
                    run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise runtime.MigrationError(
        "offline (--sql) mode is not supported: every DDL asks the database's catalogs first"
    )
run_online()
