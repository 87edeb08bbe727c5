"""The tooling's errors: one base class, and the exit code each kind means on a command line.

Library code raises these (or its own subclasses, named for what went wrong, next to the code
that raises them); only the CLI edge (`netra_devtools.cli.run_cli`) turns them into an exit code
and one `error: ...` line. Classes that already had a standard base (RuntimeError, ValueError)
keep it as a second base, so callers that catch those still do.
"""

from __future__ import annotations


class NetraDevtoolsError(Exception):
    """Base of every error the tooling raises on purpose; a command line exits 1 with its text."""

    exit_code = 1


class BadInput(NetraDevtoolsError):
    """Bad usage, arguments or input; a command line exits 2 with its text."""

    exit_code = 2


class StackError(NetraDevtoolsError):
    """The dev stack did not start, stopped unexpectedly, or is already running."""


class MigrationFailed(NetraDevtoolsError):
    """Alembic could not bring the database to the wanted revision (its one-line reason)."""
