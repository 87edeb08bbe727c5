#!/usr/bin/env python3
"""Free a TCP port safely: stop only the processes listening on it (and a reloader parent).

Works on Linux, macOS and Windows (the name is kept from the field report).

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
Also `invoke fix-port --port 8000 [--force] [--dry-run] [--json]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netra_devtools.cli import (
    EXIT_OK,
    EXIT_PROBLEM,
    make_parser,
    port_number,
    run_cli,
)


def _timeout(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"timeout out of range 0-300 s: {text!r}")
    return value


def _work(argv: Sequence[str] | None) -> int:
    parser = make_parser(__doc__, prog="fix_port_8000_windows.py")
    parser.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--force", action="store_true", help="also other users' processes")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    parser.add_argument("--timeout", type=_timeout, default=5.0, help="seconds to wait (default 5)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)

    from netra_devtools.ports import free

    if args.json:
        report = free(args.port, force=args.force, dry_run=args.dry_run, timeout=args.timeout)
    else:
        from rich.console import Console

        with Console(stderr=True).status(f"freeing port {args.port}..."):
            report = free(args.port, force=args.force, dry_run=args.dry_run, timeout=args.timeout)
    if args.json:
        import json

        print(json.dumps(report.to_json()))
    else:
        from netra_devtools.ports._render import render_free_report

        render_free_report(report)
    return EXIT_OK if (report.freed or report.dry_run) else EXIT_PROBLEM


def main(argv: Sequence[str] | None = None) -> int:
    """Free the port; exit code per the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
