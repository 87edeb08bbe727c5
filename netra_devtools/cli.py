"""The CLI edge shared by every tool: exit codes, one-line errors, argument types.

The edge itself is declared once, in netra_backend.cli (`python -m netra_backend` needs it and the
backend imports nothing of the tooling); every tool's `<tool>/cli.py` uses it through this module.
"""

from __future__ import annotations

from netra_backend.cli import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    ArgumentParser,
    ProblemFound,
    UsageError,
    error,
    ip_address,
    make_parser,
    port_number,
    run_cli,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROBLEM",
    "EXIT_USAGE",
    "ArgumentParser",
    "ProblemFound",
    "UsageError",
    "error",
    "ip_address",
    "make_parser",
    "port_number",
    "run_cli",
]
