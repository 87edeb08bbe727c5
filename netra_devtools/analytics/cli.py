"""Inspect, drain or discard the analytics spool (rows waiting while ClickHouse is away).

    $ invoke spool                      # status of every replica under .netra/spool
    replica  owner        pending  oldest   dropped  bytes
    r1       pid 4242     1200     35 s     0        48.1 kB
    $ invoke spool --drain              # replay now (through the running backend if it holds it)
    $ invoke spool --drain --url http://default:PASSWORD@127.0.0.1:8123/default
    $ invoke spool --discard --yes      # delete pending rows (asks first without --yes)

The directory is --dir, else CLICKHOUSE_SPOOL_DIR, else .netra/spool (one subdirectory per
replica). A running backend drains its own spool as soon as ClickHouse answers; --drain asks it
to retry now (loopback admin endpoint). Exit codes: 0 done, 1 rows still pending after --drain
(or the drain/discard failed), 2 bad usage or input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netra_devtools.cli import ProblemFound, UsageError, make_parser, run_cli


def _parser() -> Any:
    parser = make_parser(__doc__, prog="invoke spool")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--status", action="store_true", help="show the spool (the default)")
    action.add_argument("--drain", action="store_true", help="replay pending rows now")
    action.add_argument("--discard", action="store_true", help="delete pending rows")
    parser.add_argument("--yes", action="store_true", help="discard without asking")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dir", type=Path, help="spool directory (or parent of replica dirs)")
    parser.add_argument("--url", help="ClickHouse URL to drain into (default CLICKHOUSE_URL)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a drain may take")
    return parser


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return str(count)


def _render_status(status: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not status["replicas"]:
        console.print(f"no spool at {status['directory']}: nothing is waiting")
        return
    table = Table(title=f"analytics spool: {status['directory']}")
    for column in ("replica", "owner", "pending rows", "oldest", "dropped", "bytes"):
        table.add_column(column, justify="left" if column in ("replica", "owner") else "right")
    import psutil

    for replica in status["replicas"]:
        pid = replica["owner"].get("pid")
        owner = "-"
        if isinstance(pid, int):  # the note outlives its process: say whether it still runs
            owner = f"pid {pid}" if psutil.pid_exists(pid) else f"pid {pid} (gone)"
        table.add_row(
            Path(replica["directory"]).name,
            owner,
            str(replica["pending_rows"]),
            f"{replica['oldest_age_s']:.0f} s",
            str(replica["dropped_rows"]),
            _size(replica["bytes"]),
        )
    console.print(table)


def _confirm(args: Any, status: dict[str, Any]) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("--discard deletes rows for good: confirm with --yes")
    answer = input(f"discard {status['pending_rows']} pending rows for good? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise ProblemFound("not discarded")


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.analytics import spool_admin

    args = _parser().parse_args(argv)
    if args.timeout <= 0 or args.timeout > 60:
        raise UsageError("--timeout must be between 0 and 60 seconds")
    directory = args.dir or spool_admin.default_directory()
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--dir {directory} is not a directory")
    before = spool_admin.status(directory)
    if not (args.drain or args.discard):
        if args.json:
            print(json.dumps(before))
        else:
            _render_status(before)
        return 0
    if args.discard:
        _confirm(args, before)
    action = "drain" if args.drain else "discard"
    try:
        results = spool_admin.act(
            directory, action, clickhouse_url=args.url or os.environ.get("CLICKHOUSE_URL"),
            timeout=args.timeout,
        )  # fmt: skip
    except spool_admin.SpoolAdminError as exc:
        raise ProblemFound(str(exc)) from None
    except ValueError as exc:  # e.g. a malformed --url (SettingsError)
        raise UsageError(str(exc)) from None
    after = spool_admin.status(directory)
    if args.json:
        print(json.dumps({"action": action, "results": results, "status": after}, default=str))
    else:
        for result in results:
            done = (
                f"sent {result.get('sent', '?')} rows" if action == "drain"
                else f"discarded {result.get('discarded', 0)} rows"
            )  # fmt: skip
            print(f"{Path(result['directory']).name}: {done} via {result['via']}; "
                  f"{result['pending_rows']} pending, {result['dropped_rows']} dropped")  # fmt: skip
        if not results:
            print(f"no spool at {directory}: nothing to {action}")
    if action == "drain" and after["pending_rows"]:
        raise ProblemFound(f"{after['pending_rows']} rows still pending in {directory}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`invoke spool`: status, drain or discard; exit code per the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
