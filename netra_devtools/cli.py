"""The CLI edge shared by every tool: exit codes, one-line errors, argument types.

The edge itself is declared once, in netra_backend.cli (`python -m netra_backend` needs it and the
backend imports nothing of the tooling); every tool's `<tool>/cli.py` uses it through this module.
"""

from __future__ import annotations

import argparse
from typing import Any

from netra_backend.cli import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    ArgumentParser,
    ProblemFound,
    UsageError,
    directory_path,
    error,
    ip_address,
    make_parser,
    port_number,
    regular_file,
    run_cli,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PROBLEM",
    "EXIT_USAGE",
    "ArgumentParser",
    "add_command",
    "ProblemFound",
    "UsageError",
    "directory_path",
    "error",
    "ip_address",
    "make_parser",
    "port_number",
    "regular_file",
    "run_cli",
]


def add_command(
    commands: argparse._SubParsersAction[Any], name: str, *, summary: str, doc: str
) -> ArgumentParser:
    """One subcommand of a tool: `summary` for listings, `doc` (a sample run) for its --help."""
    parser: ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    return parser


def add_commands(parser: ArgumentParser) -> argparse._SubParsersAction[Any]:
    """The subcommands of a tool's parser (one is required; `dest` is "command")."""
    return parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
