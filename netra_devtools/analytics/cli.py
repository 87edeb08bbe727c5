"""The analytics tools' command line: `spool` (invoke spool) and `check` (invoke check-clickhouse)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from netra_devtools.cli import (
    ArgumentParser,
    ProblemFound,
    UsageError,
    add_command,
    add_commands,
    directory_path,
    make_parser,
    run_cli,
)

SPOOL_DOC = """Inspect, drain or discard the analytics spool (rows waiting while ClickHouse is away).

    $ invoke spool                      # status of every replica under .netra/spool
    replica  owner        pending  oldest   dropped  damaged  bytes
    r1       pid 4242     1200     35 s     0        0        48.1 kB
    $ invoke spool --drain              # replay now (through the running backend if it holds it)
    $ invoke spool --drain --url http://default:PASSWORD@127.0.0.1:8123/default
    $ invoke spool --discard --yes      # delete pending rows (asks first without --yes)

The directory is --dir, else CLICKHOUSE_SPOOL_DIR, else .netra/spool (one subdirectory per
replica). A running backend drains its own spool as soon as ClickHouse answers; --drain asks it
to retry now (loopback admin endpoint). Rows lost (dropped past the limit, or to damage: where the
damaged copy is kept) are listed under the table and in `problems` with --json. Exit codes: 0
done, 1 rows lost (status) or still pending after --drain (or the drain/discard failed), 2 bad
usage or input.
"""

CHECK_DOC = """Prove the backend degrades gracefully without ClickHouse and loses no analytics event.

Runs a real backend (python -m netra_backend) on throwaway PostgreSQL per scenario, with
ClickHouse unset, healthy, refusing, silent, answering 500, resetting, cut and restored
mid-traffic (outage), and SIGKILLed with rows spooled (crash); the embedded ClickHouse engine
(chdb) unless --url names a real server. Sample run:

  $ python scripts/test_clickhouse_graceful_failure.py --events 500
  scenario  startup→ready  health  sent  stored  spooled  dropped  refused  lost
  unset     1.21 s         pass    0     0       0        0        0        0
  silent    1.19 s         warn    500   500     500      0        0        0
  outage    1.25 s         warn    500   500     500      0        0        0
  ...
  ok: 3500 events sent, 3500 stored, none lost

`sent` counts events answered 202; with --spool-max-rows N the backend's spool is small, and
batches that do not fit are answered 503 (`refused`: the client was told, nothing acknowledged
is lost). Exit codes: 0 nothing lost, 1 an event was lost (or a service did not start), 2 bad
input.
Also `invoke check-clickhouse [--url URL] [--scenario silent,outage] [--json]`.
"""


def build_parser() -> ArgumentParser:
    """`spool` and `check` with their options (the invoke tasks are made from these)."""
    parser = make_parser(__doc__, prog="python -m netra_devtools.analytics")
    commands = add_commands(parser)
    spool = add_command(
        commands, "spool", summary="inspect, drain or discard the spool", doc=SPOOL_DOC
    )
    action = spool.add_mutually_exclusive_group()
    action.add_argument("--status", action="store_true", help="show the spool (the default)")
    action.add_argument("--drain", action="store_true", help="replay pending rows now")
    action.add_argument("--discard", action="store_true", help="delete pending rows")
    spool.add_argument("--yes", action="store_true", help="discard without asking")
    spool.add_argument("--json", action="store_true", help="print one JSON object")
    spool.add_argument(
        "--dir", type=directory_path, help="spool directory (or parent of replica dirs)"
    )
    spool.add_argument("--url", help="ClickHouse URL to drain into (default CLICKHOUSE_URL)")
    spool.add_argument("--timeout", type=float, default=30.0, help="seconds a drain may take")
    check = add_command(commands, "check", summary="ClickHouse failure scenarios", doc=CHECK_DOC)
    check.add_argument("--url", help="a real ClickHouse http(s)://user:pass@host:port/db")
    check.add_argument("--database-url", help="PostgreSQL for the backend (default: throwaway)")
    check.add_argument("--scenario", help="comma list (default: all)")
    check.add_argument("--events", type=int, default=500, help="events per scenario (default 500)")
    check.add_argument(
        "--spool-max-rows", type=int, help="CLICKHOUSE_SPOOL_MAX_ROWS for the backend"
    )
    check.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _confirm(args: Any, status: dict[str, Any]) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("--discard deletes rows for good: confirm with --yes")
    answer = input(f"discard {status['pending_rows']} pending rows for good? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise ProblemFound("not discarded")


def _spool_source(args: Any) -> tuple[str, Callable[[], dict[str, Any]], Callable[[str], Any]]:
    """Where the spool is, how to read it and how to act on it: this machine's directory, or in
    compose mode the backend containers (docker exec; their admin endpoints answer loopback)."""
    from netra_devtools.analytics import spool_admin
    from netra_devtools.state import load_state

    state = load_state()
    if args.dir is None and state.get("mode") == "compose":
        from netra_devtools.analytics import compose_spool

        return (
            "the backend containers",
            lambda: compose_spool.compose_status(state),
            lambda action: compose_spool.compose_act(state, action, args.timeout),
        )
    directory = args.dir or spool_admin.default_directory()
    clickhouse_url = args.url or os.environ.get("CLICKHOUSE_URL")
    return (
        str(directory),
        lambda: spool_admin.status(directory),
        lambda action: spool_admin.act(
            directory, action, clickhouse_url=clickhouse_url, timeout=args.timeout
        ),
    )


def _spool(args: Any) -> int:
    from netra_devtools.analytics import spool_admin
    from netra_devtools.analytics.render import render_spool_status

    if args.timeout <= 0 or args.timeout > 60:
        raise UsageError("--timeout must be between 0 and 60 seconds")
    where, read_status, act = _spool_source(args)
    before = read_status()
    if not (args.drain or args.discard):
        problems = spool_admin.losses(before)
        if args.json:
            print(json.dumps({**before, "problems": problems}))
        else:
            render_spool_status(before, problems)
        return 1 if problems else 0
    if args.discard:
        _confirm(args, before)
    action = "drain" if args.drain else "discard"
    # SpoolAdminError: exit 1; a malformed --url (SettingsError): exit 2
    results = act(action)
    after = read_status()
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
            print(f"no spool at {where}: nothing to {action}")
    if action == "drain" and after["pending_rows"]:
        raise ProblemFound(f"{after['pending_rows']} rows still pending in {where}")
    return 0


def _scenarios(text: str | None) -> list[str]:
    from netra_devtools.analytics.check import SCENARIOS

    chosen = [s.strip() for s in (text or ",".join(SCENARIOS)).split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        raise UsageError(f"--scenario: unknown {', '.join(unknown) or '(empty)'}; "
                         f"choose from {', '.join(SCENARIOS)}")  # fmt: skip
    return chosen


def _check(args: Any) -> int:
    from netra_devtools.analytics.render import render_check_results

    scenarios = _scenarios(args.scenario)
    if not 1 <= args.events <= 100_000:
        raise UsageError("--events must be between 1 and 100000")
    if args.spool_max_rows is not None and args.spool_max_rows < 1:
        raise UsageError("--spool-max-rows must be at least 1")
    from netra_backend.redact import mask_url
    from netra_devtools.analytics.check import check

    # CheckError: exit 1; a malformed --url / --database-url (BadInput): exit 2
    with _progress(scenarios) as progress:
        results, url = check(
            scenarios, args.events, args.url, args.database_url, args.spool_max_rows, progress
        )
    sent, stored = sum(r.sent for r in results), sum(r.stored for r in results)
    lost = sent - stored
    if args.json:
        summary = {"sent": sent, "stored": stored, "lost": lost, "ok": lost == 0}
        print(json.dumps({"clickhouse": mask_url(url), "scenarios": [r.to_json() for r in results],
                          "summary": summary}))  # fmt: skip
    else:
        render_check_results(results, mask_url(url))
        verdict = "ok" if lost == 0 else "FAILED"
        print(f"{verdict}: {sent} events sent, {stored} stored, {lost or 'none'} lost")
    return 1 if lost else 0


@contextlib.contextmanager
def _progress(scenarios: list[str]) -> Iterator[Any]:
    """A progress bar on stderr (a terminal only; stdout stays the result) while the check runs:
    starting the services, then each scenario by name."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _step: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting PostgreSQL and ClickHouse", total=len(scenarios) + 1)

        def step(name: str) -> None:  # `name` starts: the step before it is done
            if name != "services":
                number = scenarios.index(name) + 1
                bar.update(
                    task, advance=1, description=f"scenario {name} ({number}/{len(scenarios)})"
                )

        yield step


def _work(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return _spool(args) if args.command == "spool" else _check(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `spool` or `check`; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
