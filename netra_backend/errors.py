"""The backend's errors: one base class, and the exit code each kind means on a command line."""

from __future__ import annotations


class NetraBackendError(Exception):
    """Base of every error the backend raises on purpose; a command line exits 1 with its text."""

    exit_code = 1


class BadInputError(NetraBackendError):
    """Bad settings, arguments or input; a command line exits 2 with its text."""

    exit_code = 2
