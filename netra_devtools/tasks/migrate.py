"""`invoke migrate`: upgrade or downgrade the backend's database (body in netra_devtools.migrate.runner)."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from netra_devtools.tasks import exit_with, flag, option


@task(
    help={
        "revision": "target revision (default: head; with --downgrade: -1, or e.g. base)",
        "downgrade": "downgrade instead of upgrade",
        "verbose": "log every step and show tracebacks on errors",
    }
)
def migrate(c: Context, revision: str = "", downgrade: bool = False, verbose: bool = False) -> None:
    """Migrate DATABASE_URL, else the local stack's database (.netra/state.json), to a revision."""
    from netra_devtools.migrate.runner import main

    exit_with(
        main(
            [
                *option("revision", revision),
                *flag("downgrade", downgrade),
                *flag("verbose", verbose),
            ]
        )
    )
