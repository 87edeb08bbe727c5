"""The port doctor's command line: `check` (invoke check-port) and `fix` (invoke fix-port)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # kept off the import path (typing, argparse): check-port's fast path
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from netra_devtools.cli import ArgumentParser

DEFAULT_PORT = 8000

CHECK_DOC = """Check that the backend's port binds; if not, name every process holding it and the fix.

Sample run:
  $ python scripts/test_backend_port_binding.py --port 8000
  port 8000 is in use by uvicorn (pid 4100, uvicorn) and 2 more of its tree (4101, 4102)
  ...sockets and their holders (root first), bind tests on 127.0.0.1 / 0.0.0.0 / ::1 / ::...
  fix: stop uvicorn (pid 4100) and the processes of its tree (4101, 4102); the root goes first
       kill 4100 4101 4102

Every process whose descriptors hold the socket is named, as `ss -p` does, grouped by socket;
the root of each tree (a master, a reloader) is the one that would restart the others. Windows
names only the process that opened a socket (see docs/WINDOWS_PORT_8000_FIX.md).

Exit codes: 0 the port binds, 1 it does not (the holders' pids are in the output), 2 bad input.
Also `invoke check-port --port 8000 [--host 127.0.0.1] [--json]`.
"""

FIX_DOC = """Free a TCP port with consent: stop the processes holding it, each tree's root first.

Works on Linux, macOS and Windows (the script's name is kept from the field report).

Sample run:
  $ python scripts/fix_port_8000_windows.py --port 8000
  port 8000 is held by python3 (pid 4242, user dev: python3 -m http.server 8000), which is
  not ours. Stop it? [y/N] y
  terminated: python3 (pid 4242, root)
  left alone: parent 4000 (bash) of pid 4242: not a reloader, left alone
  port 8000 binds now

Without --force it stops without asking only an orphan of ours (recorded in .netra/state.json,
same pid and start time, its launcher gone). Our running stack: it says `invoke down`. Anything
else: it asks on a terminal, naming the process; without a terminal it refuses (exit 1) and
prints the exact --force command. --force stops any holder you may signal (another user's needs
root/admin), but never pid 1, our own ancestors or the system's daemons and services (sshd, a
system PostgreSQL, dockerd, systemd units); for Docker's proxy it says `docker stop CONTAINER`.
A reloader parent (uvicorn, watchfiles, werkzeug, Django, nodemon...) is stopped first; any
other parent (a shell) is left alone. Processes are re-checked by pid and start time right
before each signal. --dry-run says what would be done and signals nothing.
When Windows reserved the port (WinNAT / Hyper-V), there is nothing to stop: the report gives
the admin commands instead.

Exit codes: 0 the port binds (or dry run), 1 it still does not or was refused, 2 bad input.
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
    from netra_devtools.cli import add_command, add_commands, ip_address, make_parser, port_number

    parser = make_parser(__doc__, prog="python -m netra_devtools.ports")
    commands = add_commands(parser)
    check = add_command(commands, "check", summary="why a port will not bind", doc=CHECK_DOC)
    check.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help="TCP port (default 8000)"
    )
    check.add_argument("--host", type=ip_address, help="only this address (default: all four)")
    check.add_argument("--json", action="store_true", help="one JSON object on stdout")
    fix = add_command(
        commands, "fix", summary="free a port (asks before stopping what is not ours)", doc=FIX_DOC
    )
    fix.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help="TCP port (default 8000)"
    )
    fix.add_argument(
        "--force",
        action="store_true",
        help="stop any holder without asking (never pid 1, our ancestors or system daemons)",
    )
    fix.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    fix.add_argument("--timeout", type=_timeout, default=5.0, help="seconds to wait (default 5)")
    fix.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _check(args: argparse.Namespace) -> int:
    from netra_devtools.cli import EXIT_OK, EXIT_PROBLEM
    from netra_devtools.ports._diagnose import diagnose

    diag = diagnose(args.port, args.host)
    if args.json:
        import json

        print(json.dumps(diag.to_json()))
    else:
        from netra_devtools.ports._render import render_diagnosis

        render_diagnosis(diag)
    return EXIT_OK if diag.bindable else EXIT_PROBLEM


def ask_on_terminal(question: str) -> bool:
    """y/N on the terminal (the question on stderr, so --json stays one object on stdout)."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _fix(args: argparse.Namespace) -> int:
    from netra_devtools.cli import EXIT_OK, EXIT_PROBLEM
    from netra_devtools.ports._free import execute, plan_free

    confirm = ask_on_terminal if sys.stdin.isatty() else None
    if args.json:
        plan = plan_free(args.port, force=args.force)
        report = execute(plan, dry_run=args.dry_run, timeout=args.timeout, confirm=confirm)
        import json

        print(json.dumps(report.to_json()))
    else:
        from contextlib import nullcontext

        from rich.console import Console

        from netra_devtools.ports._render import render_free_report

        console = Console(stderr=True)
        with console.status(f"looking at port {args.port}..."):
            plan = plan_free(args.port, force=args.force)
        # no spinner while a question may be on the terminal
        with nullcontext() if confirm else console.status(f"freeing port {args.port}..."):
            report = execute(plan, dry_run=args.dry_run, timeout=args.timeout, confirm=confirm)
        render_free_report(report)
    return EXIT_OK if (report.freed or report.dry_run) else EXIT_PROBLEM


def _work(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return _check(args) if args.command == "check" else _fix(args)


def fast_check_port(argv: list[str]) -> int | None:
    """The port of `check --json [--port N]`, the form check-port's fast path serves; None for
    anything else (argparse, from build_parser, parses it and reports bad input)."""
    if argv[:1] != ["check"] or argv.count("--json") != 1:
        return None
    rest = [a for a in argv[1:] if a != "--json"]
    if not rest:
        return DEFAULT_PORT
    value = rest[1] if len(rest) == 2 and rest[0] == "--port" else None
    if len(rest) == 1 and rest[0].startswith("--port="):
        value = rest[0].removeprefix("--port=")
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return int(value) if 1 <= int(value) <= 65535 else None


def _fast_check(port: int, argv: list[str]) -> int:
    """check --json without argparse, typing or rich: what a script runs in a loop."""
    try:
        from netra_devtools.ports._diagnose import diagnose
        from netra_devtools.ports._jsontext import dumps

        diag = diagnose(port)
        print(dumps(diag.to_json()))
        return 0 if diag.bindable else 1  # EXIT_OK, EXIT_PROBLEM (netra_devtools.cli: argparse)
    except BaseException as exc:  # handed to run_cli, the one place that maps errors to codes
        failure = exc
    from netra_devtools.cli import run_cli

    def reraise(_argv: Sequence[str] | None) -> int:
        raise failure

    return run_cli(reraise, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `check` or `fix`; the exit code follows the CLI contract."""
    args = list(sys.argv[1:] if argv is None else argv)
    port = fast_check_port(args)
    if port is not None:
        return _fast_check(port, args)
    from netra_devtools.cli import run_cli

    return run_cli(_work, args)


if __name__ == "__main__":
    sys.exit(main())
