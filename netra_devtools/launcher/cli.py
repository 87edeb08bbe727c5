"""Start the development stack with one command; stop, reset, follow logs, check health, serve.

Commands: up (the default; invoke dev), down, reset, logs, health, serve. Sample run:

  $ python scripts/dev_launcher.py --mode auto
  ...
  ready - Ctrl-C stops the stack

`python scripts/dev_launcher.py COMMAND --help` documents each command.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from netra_devtools.cli import (
    UsageError,
    add_command,
    add_commands,
    ip_address,
    make_parser,
    port_number,
    run_cli,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

    from netra_devtools.cli import ArgumentParser

UP_DOC = """Start the development stack with one command.

Compose mode when a Docker engine is reachable and every image is present or pullable; local
mode otherwise (PostgreSQL under .netra/, migrations, embedded ClickHouse when installed, the
backend), and it says why. Ctrl-C stops everything it started.

  $ python scripts/dev_launcher.py --mode auto
  mode        local       compose mode skipped: no Docker engine reachable (...)
  postgres    ok          postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (pg-embedded-18)
  migrations  ok          migrations at head (66e0e5d9662d)
  analytics   ok          embedded ClickHouse on 127.0.0.1:8123
  backend     ok          http://127.0.0.1:8000: /health passes
  backend         http://127.0.0.1:8000
  DATABASE_URL    postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra
  full URLs, passwords included: .netra/.env (mode 0600)
  ready: /health passes - Ctrl-C stops the stack

A CLICKHOUSE_URL of yours (environment or .env) is used instead of the embedded engine.

  $ python scripts/dev_launcher.py down        # stop a --detach'ed stack (from .netra/state.json)
  $ python scripts/dev_launcher.py reset --yes # down, then delete .netra/
  $ python scripts/dev_launcher.py logs        # follow this run's logs, known failures marked
  $ python scripts/dev_launcher.py health --json
"""

SERVE_DOC = """Run the backend alone (`python -m netra_backend`) after a pre-flight port check.

DATABASE_URL and CLICKHOUSE_URL: yours (environment or .env) when set, else those of the local
stack in .netra/state.json; the first lines say which.

  $ invoke serve --port 8001
  serving with the running local stack's URLs (.netra/state.json)
    DATABASE_URL postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (from the running local stack)
    CLICKHOUSE_URL http://default:***@127.0.0.1:8123/default (from the running local stack)
  backend on http://127.0.0.1:8001 (Ctrl-C stops it)

  $ invoke serve --port 8000
  error: port 8000 is in use by python3 (pid 4242): run `invoke fix-port --port 8000` to free it, or use another port with `invoke serve --port 8001`

Host and port default to NETRA_HOST / NETRA_PORT (127.0.0.1:8000).
"""

COMMANDS = ("up", "down", "reset", "logs", "health", "serve")


def build_parser() -> ArgumentParser:
    """Every launcher command with its options (the invoke tasks are made from these)."""
    import argparse

    parser = make_parser(__doc__, prog="python -m netra_devtools.launcher")
    commands = add_commands(parser)
    up = add_command(commands, "up", summary="start the stack (the default)", doc=UP_DOC)
    up.add_argument(
        "--mode",
        choices=("auto", "compose", "local"),
        default="auto",
        help="auto (the default: compose when Docker and the images are there), compose or local",
    )
    up.add_argument(
        "--profile", action="append", default=[], help="compose profile (full: ClickHouse)"
    )
    up.add_argument("--no-clickhouse", action="store_true", help="run without analytics")
    up.add_argument("--port", type=port_number, default=8000, help="backend port (default 8000)")
    up.add_argument(
        "--postgres-port", type=port_number, help="local PostgreSQL port (default 5432 if free)"
    )
    up.add_argument("--detach", action="store_true", help="leave it running in the background")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    up.add_argument(
        "--supervised", action="store_true", help=argparse.SUPPRESS
    )  # the background launcher
    add_command(
        commands,
        "down",
        summary="stop the recorded stack",
        doc="Stop the stack recorded in .netra/state.json (pids verified by create time).",
    )
    reset = add_command(
        commands,
        "reset",
        summary="stop the stack and delete .netra/",
        doc="Stop the stack and delete .netra/ (PostgreSQL data included), after confirmation.",
    )
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    logs = add_command(
        commands,
        "logs",
        summary="follow the stack's logs",
        doc="Follow the stack's logs (this run's lines; --all for earlier runs too), known "
        "failures marked with their learning.",
    )
    logs.add_argument("--tail", type=int, default=50, help="lines of history per log (default 50)")
    logs.add_argument("--no-follow", action="store_true", help="print the history and exit")
    logs.add_argument(
        "--all", action="store_true", help="earlier runs' lines too (default: this run's)"
    )
    health = add_command(
        commands,
        "health",
        summary="status and latency of every service",
        doc="Status and latency of backend, PostgreSQL, ClickHouse and NETRA_HEALTH_EXTRA services.",
    )
    health.add_argument("--json", action="store_true", help="one JSON object on stdout")
    health.add_argument(
        "--wide", action="store_true", help="one table with targets, wider than 80 columns"
    )
    health.add_argument("--timeout", type=float, default=2.0, help="seconds per probe")
    serve = add_command(commands, "serve", summary="the backend alone", doc=SERVE_DOC)
    serve.add_argument(
        "--host", type=ip_address, help="address to listen on (default NETRA_HOST or 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=port_number, help="port to listen on (default NETRA_PORT or 8000)"
    )
    serve.add_argument("--reload", action="store_true", help="restart when the code changes")
    return parser


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _up(args: argparse.Namespace, root: Path) -> int:
    from netra_devtools.launcher import display
    from netra_devtools.launcher.run import UpOptions, up

    opts = UpOptions(
        root=root,
        mode=args.mode,
        profiles=args.profile,
        no_clickhouse=args.no_clickhouse,
        port=args.port,
        postgres_port=args.postgres_port,
        detach=args.detach,
        timeout=args.timeout,
        supervised=args.supervised,
    )
    return up(opts, display.console())


def _down(args: argparse.Namespace, root: Path) -> int:
    from netra_devtools.launcher import control, display

    out = display.console()
    with display.waiting(out, "stopping the stack"):
        done = control.down(root)
    for line in done or ["nothing recorded as running"]:
        out.print(line)
    return 0


def _reset(args: argparse.Namespace, root: Path) -> int:
    from netra_devtools.launcher import control, display

    if not args.yes and not _confirm(f"delete {root} (PostgreSQL data included)?"):
        raise UsageError("reset not confirmed: pass --yes to delete .netra/ without asking")
    out = display.console()
    with display.waiting(out, "stopping the stack and deleting its data"):
        done = control.reset(root)
    for line in done or ["nothing to delete"]:
        out.print(line)
    return 0


def _logs(args: argparse.Namespace, root: Path) -> int:
    from netra_devtools.launcher import control
    from netra_devtools.state import load_state

    state = load_state(root)
    follow = not args.no_follow
    if state.get("mode") == "compose":
        lines = control.follow_compose(state, tail=args.tail, keep_following=follow)
    else:
        sources = control.log_sources(root, all_runs=args.all)
        if not sources:
            raise UsageError(f"no logs under {root}: start the stack with `invoke dev`")
        lines = control.follow(sources, tail=args.tail, keep_following=follow)
    for source, line in lines:
        print(f"{source:<9}| {line}", flush=True)
        for finding in control.annotate(source, line):
            fix = f" -> {finding['fix']}" if finding.get("fix") else ""
            print(
                f"{'':<9}| known failure {finding.get('signature')} "
                f"({finding.get('learning')}){fix}",
                flush=True,
            )
    return 0


def _health(args: argparse.Namespace, root: Path) -> int:
    from netra_devtools.launcher import health

    return health.report(as_json=args.json, timeout=args.timeout, root=root, wide=args.wide)


def _serve(args: argparse.Namespace, root: Path) -> int:
    import argparse
    import os

    from netra_devtools.launcher import display
    from netra_devtools.launcher.serve import serve

    try:
        host = args.host or ip_address(os.environ.get("NETRA_HOST", "127.0.0.1"))
        port = args.port or port_number(os.environ.get("NETRA_PORT", "8000"))
    except argparse.ArgumentTypeError as exc:  # NETRA_HOST / NETRA_PORT are bad input too
        raise UsageError(str(exc)) from None
    return serve(host, port, args.reload, root, display.console())


HANDLERS: dict[str, Any] = {
    "up": _up,
    "down": _down,
    "reset": _reset,
    "logs": _logs,
    "health": _health,
    "serve": _serve,
}


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.state import state_dir

    args = list(argv or [])
    if not any(a in COMMANDS for a in args) and not {"-h", "--help"} & set(args):
        args.insert(0, "up")  # `dev_launcher.py --mode local` means `up --mode local`
    ns = build_parser().parse_args(args)
    return int(HANDLERS[ns.command](ns, state_dir()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run a launcher command (default `up`); the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
