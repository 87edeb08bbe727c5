#!/usr/bin/env python3
"""Start the development stack with one command; stop, reset, follow logs, check health.

Compose mode when a Docker engine is reachable and every image is present or pullable; local
mode otherwise (PostgreSQL under .netra/, migrations, embedded ClickHouse when installed, the
backend), and it says why. Ctrl-C stops everything it started.

  $ python scripts/dev_launcher.py --mode auto
  mode        local       compose mode skipped: no Docker engine reachable (...)
  postgres    ok          postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (pg-embedded-18)
  migrations  ok          migrations at head (alembic upgrade head)
  analytics   disabled    analytics disabled: install the embedded extra (...)
  backend     ok          http://127.0.0.1:8000 ready
  ready - Ctrl-C stops the stack

  $ python scripts/dev_launcher.py down        # stop a --detach'ed stack (from .netra/state.json)
  $ python scripts/dev_launcher.py reset --yes # down, then delete .netra/
  $ python scripts/dev_launcher.py logs        # follow the stack's logs, known failures marked
  $ python scripts/dev_launcher.py health --json
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from netra_devtools.cli import UsageError, make_parser, port_number, run_cli

COMMANDS = ("up", "down", "reset", "logs", "health")


def _parser() -> object:
    parser = make_parser(__doc__, prog="dev_launcher.py")
    sub = parser.add_subparsers(dest="command")
    up = sub.add_parser("up", help="start the stack (the default)")
    up.add_argument("--mode", choices=("auto", "compose", "local"), default="auto")
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
    up.add_argument("--supervised", action="store_true", help=argparse_suppress())
    sub.add_parser("down", help="stop the recorded stack")
    reset = sub.add_parser("reset", help="stop the stack and delete .netra/")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    logs = sub.add_parser("logs", help="follow the stack's logs")
    logs.add_argument("--tail", type=int, default=50, help="lines of history per log (default 50)")
    logs.add_argument("--no-follow", action="store_true", help="print the history and exit")
    health = sub.add_parser("health", help="status and latency of every configured service")
    health.add_argument("--json", action="store_true", help="one JSON object on stdout")
    health.add_argument("--timeout", type=float, default=2.0, help="seconds per probe")
    return parser


def argparse_suppress() -> str:
    """Hidden option (the background launcher uses it)."""
    import argparse

    return argparse.SUPPRESS


def _work(argv: Sequence[str] | None) -> int:
    args = [a for a in argv or [] if a != "--verbose"]  # run_cli already read it
    if not any(a in COMMANDS for a in args) and not {"-h", "--help"} & set(args):
        args.insert(0, "up")
    ns = _parser().parse_args(args)  # type: ignore[attr-defined]
    from netra_devtools.state import state_dir

    root = state_dir()
    if ns.command == "health":
        from netra_devtools.launcher import health

        return health.report(as_json=ns.json, timeout=ns.timeout, root=root)
    from netra_devtools.launcher import control, display

    out = display.console()
    if ns.command == "down":
        for line in control.down(root) or ["nothing recorded as running"]:
            out.print(line)
        return 0
    if ns.command == "reset":
        if not ns.yes and not _confirm(f"delete {root} (PostgreSQL data included)?"):
            raise UsageError("reset not confirmed: pass --yes to delete .netra/ without asking")
        for line in control.reset(root) or ["nothing to delete"]:
            out.print(line)
        return 0
    if ns.command == "logs":
        return _logs(root, ns.tail, not ns.no_follow, out)
    from netra_devtools.launcher.run import UpOptions, up

    opts = UpOptions(
        root=root,
        mode=ns.mode,
        profiles=ns.profile,
        no_clickhouse=ns.no_clickhouse,
        port=ns.port,
        postgres_port=ns.postgres_port,
        detach=ns.detach,
        timeout=ns.timeout,
        supervised=ns.supervised,
        script=Path(__file__).resolve(),
    )
    return up(opts, out)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _logs(root: Path, tail: int, keep_following: bool, out: object) -> int:
    from netra_devtools.launcher import control
    from netra_devtools.state import load_state

    state = load_state(root)
    if state.get("mode") == "compose":
        lines = control.follow_compose(state, tail=tail, keep_following=keep_following)
    else:
        files = control.log_files(root)
        if not files:
            raise UsageError(f"no logs under {root}: start the stack with `invoke dev`")
        lines = control.follow(files, tail=tail, keep_following=keep_following)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the launcher CLI; returns the exit code."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
