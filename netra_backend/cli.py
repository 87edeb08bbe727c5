"""The backend's command-line edge: exit codes, argument types, one masked line per error.

The dev tooling builds on these (the argument types and exit codes are declared here once).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from netra_backend.errors import BadInputError, NetraBackendError
from netra_backend.redact import mask_secrets

if TYPE_CHECKING:  # kept off the import path: scripts' fast paths start with this module
    from collections.abc import Callable, Sequence
    from typing import NoReturn

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(BadInputError):
    """Bad usage on the command line itself: the CLI exits 2 with one line."""


class ProblemFound(NetraBackendError):
    """A command found a problem or could not do its work: the CLI exits 1 with one line."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def make_parser(doc: str | None, prog: str | None = None) -> ArgumentParser:
    """A parser whose --help is the command's docstring, with the shared --verbose flag."""
    parser = ArgumentParser(
        prog=prog,
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    return parser


def port_number(text: str) -> int:
    """argparse type: a TCP port 1-65535, in ASCII digits (int() also takes `8_000` and `٨٠٠٠`)."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    port = int(digits)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 1-65535: {text!r}")
    return port


def ip_address(text: str) -> str:
    """argparse type: an IPv4 or IPv6 address (no host names)."""
    import ipaddress

    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r}") from None


def _special_file(path: str) -> str | None:
    """What `path` is when it is a FIFO, socket or device (a read blocks or never ends), else None.
    `stat` never blocks, where opening a FIFO without a writer would."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # absent or unreadable: the caller's own checks say so
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return None


def regular_file(text: str) -> str:
    """argparse type: an existing regular file, or `-` for stdin (never a FIFO, device, socket)."""
    if text == "-":
        return text
    kind = _special_file(text)
    if kind is not None:
        raise argparse.ArgumentTypeError(f"{text} is {kind}, not a regular file (`-` reads stdin)")
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def directory_path(text: str) -> Path:
    """argparse type: a directory, existing or not yet (never a file, FIFO, device or socket)."""
    kind = _special_file(text) or ("a file" if os.path.isfile(text) else None)
    if kind is not None:
        raise argparse.ArgumentTypeError(f"{text} is {kind}, not a directory")
    return Path(text)


def error(message: str) -> None:
    """Print one `error: ...` line on stderr, secrets masked."""
    first_line = mask_secrets(str(message)).strip().splitlines() or [""]
    print(f"error: {first_line[0]}", file=sys.stderr)


def run_cli(work: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None) -> int:
    """Run a command's work and map exceptions to the exit-code contract.

    The one place that does: an error of ours (netra_backend.errors, netra_devtools.errors)
    carries its exit code (1 failed, 2 bad input); anything else is 1, with its type named.
    """
    from netra_backend.logging_setup import configure_cli_logging

    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args
    # every record one masked line (drivers' too, never a bare traceback); --verbose shows INFO
    configure_cli_logging(verbose=verbose)
    try:
        return work(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the edge: one line each, a traceback only with --verbose
        if verbose:
            import traceback

            traceback.print_exc()
        code = getattr(type(exc), "exit_code", None)
        if isinstance(code, int):  # expected: its message is the whole story
            error(str(exc))
            return code
        error(f"{type(exc).__name__}: {exc}")
        return EXIT_PROBLEM
