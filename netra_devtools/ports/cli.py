"""The port doctor's command line: `check` (invoke check-port) and `fix` (invoke fix-port)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from netra_devtools.cli import (
    EXIT_OK,
    EXIT_PROBLEM,
    add_command,
    add_commands,
    ip_address,
    make_parser,
    port_number,
    run_cli,
)

if TYPE_CHECKING:  # kept off the import path: check-port's fast path starts here
    import argparse
    from collections.abc import Sequence

    from netra_devtools.cli import ArgumentParser

CHECK_DOC = """Check that the backend's port binds; if not, say who holds it and the exact fix.

Sample run:
  $ python scripts/test_backend_port_binding.py --port 8000
  port 8000 is in use by python (pid 4242)
  ...holders, bind tests on 127.0.0.1 / 0.0.0.0 / ::1 / ::, notes...
  fix: stop python (pid 4242)
       kill 4242

Exit codes: 0 the port binds, 1 it does not (the holder's pid is in the output), 2 bad input.
Also `invoke check-port --port 8000 [--host 127.0.0.1] [--json]`.
"""

FIX_DOC = """Free a TCP port safely: stop only the processes listening on it (and a reloader parent).

Works on Linux, macOS and Windows (the script's name is kept from the field report).

Sample run:
  $ python scripts/fix_port_8000_windows.py --port 8000
  terminated: uvicorn (pid 4100, reloader)
  terminated: python (pid 4242, listener)
  left alone: parent 4000 (bash) of pid 4100: not a reloader, left alone
  port 8000 binds now

--dry-run says what would be stopped and signals nothing; another user's process needs --force
(and root/admin). Processes are re-checked by pid and start time right before each signal.
When nothing listens: "nothing to free", exit 0. When Windows reserved the port (WinNAT /
Hyper-V) there is nothing to stop: the report gives the admin commands instead.

Exit codes: 0 the port binds (or dry run), 1 it still does not, 2 bad input.
Also `invoke fix-port --port 8000 [--force] [--dry-run] [--timeout 5] [--json]`.
"""


def _timeout(text: str) -> float:
    """argparse type: seconds to wait for a holder to exit, 0 < t <= 300."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"timeout out of range 0-300 s: {text!r}")
    return value


def build_parser() -> ArgumentParser:
    """`check` and `fix`, each with its options (the invoke tasks are made from these)."""
    parser = make_parser(__doc__, prog="python -m netra_devtools.ports")
    commands = add_commands(parser)
    check = add_command(commands, "check", summary="why a port will not bind", doc=CHECK_DOC)
    check.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000)")
    check.add_argument("--host", type=ip_address, help="only this address (default: all four)")
    check.add_argument("--json", action="store_true", help="one JSON object on stdout")
    fix = add_command(commands, "fix", summary="free a port safely", doc=FIX_DOC)
    fix.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000)")
    fix.add_argument("--force", action="store_true", help="also other users' processes")
    fix.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    fix.add_argument("--timeout", type=_timeout, default=5.0, help="seconds to wait (default 5)")
    fix.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _check(args: argparse.Namespace) -> int:
    from netra_devtools.ports._diagnose import diagnose

    diag = diagnose(args.port, args.host)
    if args.json:
        import json

        print(json.dumps(diag.to_json()))
    else:
        from netra_devtools.ports._render import render_diagnosis

        render_diagnosis(diag)
    return EXIT_OK if diag.bindable else EXIT_PROBLEM


def _fix(args: argparse.Namespace) -> int:
    from netra_devtools.ports import free

    if args.json:
        report = free(args.port, force=args.force, dry_run=args.dry_run, timeout=args.timeout)
        import json

        print(json.dumps(report.to_json()))
    else:
        from rich.console import Console

        from netra_devtools.ports._render import render_free_report

        with Console(stderr=True).status(f"freeing port {args.port}..."):
            report = free(args.port, force=args.force, dry_run=args.dry_run, timeout=args.timeout)
        render_free_report(report)
    return EXIT_OK if (report.freed or report.dry_run) else EXIT_PROBLEM


def _work(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return _check(args) if args.command == "check" else _fix(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `check` or `fix`; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
