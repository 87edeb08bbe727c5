"""`invoke doctor`: run the checks, print the verdicts, optionally apply the safe fixes.

$ invoke doctor
check       status  why                                   fix
python      ok      Python 3.11.7, all dependencies ...
ports       fail    8000 held by uvicorn (pid 4242), an orphan of ours   invoke doctor --fix
...
$ invoke doctor --fix --yes      # free orphaned ports, run migrations
$ invoke doctor --json --check postgres
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from netra_devtools.cli import (
    EXIT_OK,
    EXIT_PROBLEM,
    ArgumentParser,
    UsageError,
    make_parser,
    run_cli,
)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def build_parser() -> ArgumentParser:
    """The doctor's options (the invoke task is made from these)."""
    parser = make_parser(__doc__, prog="invoke doctor")
    parser.add_argument("--fix", action="store_true", help="apply the safe fixes")
    parser.add_argument("--yes", action="store_true", help="do not ask before destructive fixes")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this check (repeatable, or comma-separated)",
    )
    return parser


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.doctor import runner
    from netra_devtools.doctor.checks import all_checks

    args = build_parser().parse_args(argv)

    checks = all_checks()
    if args.list_checks:
        for check in checks:
            print(f"{check.name:12} {check.title}")
        return EXIT_OK
    known = {c.name for c in checks}
    wanted = {name.strip() for value in args.check for name in value.split(",") if name.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}; known: {', '.join(sorted(known))}")
    if wanted:
        checks = [c for c in checks if c.name in wanted]

    confirm = (lambda _q: True) if args.yes else _confirm
    verdicts = runner.run_all(checks, fix=args.fix, confirm=confirm)
    if args.json:
        print(runner.to_json(verdicts))
    else:
        runner.print_table(verdicts)
    return EXIT_PROBLEM if runner.overall(verdicts) == runner.Status.FAIL else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `invoke doctor`."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
