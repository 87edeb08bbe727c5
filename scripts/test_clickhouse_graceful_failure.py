#!/usr/bin/env python3
"""Prove the backend degrades gracefully without ClickHouse and loses no analytics event.

Runs a real backend (python -m netra_backend) on throwaway PostgreSQL per scenario, with
ClickHouse unset, healthy, refusing, silent, answering 500, resetting, cut and restored
mid-traffic (outage), and SIGKILLed with rows spooled (crash); the embedded ClickHouse engine
(chdb) unless --url names a real server. Sample run:

  $ python scripts/test_clickhouse_graceful_failure.py --events 500
  scenario  startup→ready  health  sent  stored  spooled  dropped  lost
  unset     1.21 s         pass    0     0       0        0        0
  silent    1.19 s         warn    500   500     500      0        0
  outage    1.25 s         warn    500   500     500      0        0
  ...
  ok: 3500 events sent, 3500 stored, none lost

Exit codes: 0 nothing lost, 1 an event was lost (or a service did not start), 2 bad input.
Also `invoke check-clickhouse [--url URL] [--scenario silent,outage] [--json]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netra_devtools.cli import ProblemFound, UsageError, make_parser, run_cli


def _scenarios(text: str | None) -> list[str]:
    from netra_devtools.analytics.check import SCENARIOS

    chosen = [s.strip() for s in (text or ",".join(SCENARIOS)).split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        raise UsageError(f"--scenario: unknown {', '.join(unknown) or '(empty)'}; "
                         f"choose from {', '.join(SCENARIOS)}")  # fmt: skip
    return chosen


def _render(results: list[Any], url: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ClickHouse degradation ({url})")
    headers = (
        "scenario",
        "startup→ready",
        "health",
        "sent",
        "stored",
        "spooled",
        "dropped",
        "lost",
    )
    for header in headers:
        table.add_column(header, justify="left" if header in ("scenario", "health") else "right")
    for r in results:
        lost = f"[red]{r.lost}[/red]" if r.lost else "0"
        table.add_row(r.scenario, f"{r.startup_to_ready_s:.2f} s", r.health, str(r.sent),
                      str(r.stored), str(r.spooled), str(r.dropped), lost)  # fmt: skip
    Console().print(table)


def _work(argv: Sequence[str] | None) -> int:
    parser = make_parser(__doc__, prog="test_clickhouse_graceful_failure.py")
    parser.add_argument("--url", help="a real ClickHouse http(s)://user:pass@host:port/db")
    parser.add_argument("--database-url", help="PostgreSQL for the backend (default: throwaway)")
    parser.add_argument("--scenario", help="comma list (default: all)")
    parser.add_argument("--events", type=int, default=500, help="events per scenario (default 500)")
    parser.add_argument(
        "--spool-max-rows", type=int, help="CLICKHOUSE_SPOOL_MAX_ROWS for the backend"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    scenarios = _scenarios(args.scenario)
    if not 1 <= args.events <= 100_000:
        raise UsageError("--events must be between 1 and 100000")
    if args.spool_max_rows is not None and args.spool_max_rows < 1:
        raise UsageError("--spool-max-rows must be at least 1")
    from netra_backend.redact import mask_url
    from netra_devtools.analytics.check import CheckError, check

    try:
        results, url = check(
            scenarios, args.events, args.url, args.database_url, args.spool_max_rows
        )
    except CheckError as exc:
        raise ProblemFound(str(exc)) from None
    except ValueError as exc:  # a malformed --url / --database-url
        raise UsageError(str(exc)) from None
    sent, stored = sum(r.sent for r in results), sum(r.stored for r in results)
    lost = sent - stored
    if args.json:
        import json

        summary = {"sent": sent, "stored": stored, "lost": lost, "ok": lost == 0}
        print(json.dumps({"clickhouse": mask_url(url), "scenarios": [r.to_json() for r in results],
                          "summary": summary}))  # fmt: skip
    else:
        _render(results, mask_url(url))
        verdict = "ok" if lost == 0 else "FAILED"
        print(f"{verdict}: {sent} events sent, {stored} stored, {lost or 'none'} lost")
    return 1 if lost else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios; exit code per the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
