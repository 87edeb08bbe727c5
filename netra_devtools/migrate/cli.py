"""`invoke migrate`: upgrade, downgrade or repair the backend's database.

Which database: DATABASE_URL, else the local stack's from .netra/state.json (started when it is
down), else an error. Never a throwaway database that would vanish with the process.

    $ invoke migrate
    migrating postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (from DATABASE_URL) to head
    done: database at 66e0e5d9662d
    $ invoke migrate --downgrade --revision base
    $ invoke migrate --repair --dry-run
    repairing postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (from DATABASE_URL)
    missing: index idx_userbase_created_at on userbase
    would run:
      CREATE INDEX idx_userbase_created_at ON userbase (created_at);
    dry run: nothing changed (database at 66e0e5d9662d)

--repair puts back what the applied revisions define and the database lacks (tables, columns,
indexes, unique constraints, foreign keys, server defaults). It never drops or changes anything
else: extra objects and changed types are listed for a person, and the exit code is 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from netra_backend.redact import mask_url
from netra_devtools.cli import ArgumentParser, make_parser, run_cli
from netra_devtools.errors import BadInput, NetraDevtoolsError

if TYPE_CHECKING:
    from netra_devtools.migrate.repair import RepairReport


class NeedsAPerson(NetraDevtoolsError):
    """The database differs from its revisions in ways a repair never touches."""


def build_parser() -> ArgumentParser:
    """The migrate options (the invoke task is made from these)."""
    parser = make_parser(__doc__, prog="invoke migrate")
    parser.add_argument("--revision", help="target revision (default: head, or -1 to downgrade)")
    parser.add_argument("--downgrade", action="store_true", help="downgrade instead of upgrade")
    parser.add_argument(
        "--repair",
        action="store_true",
        help="put back what the applied revisions define and the database lacks",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --repair: print the SQL, change nothing"
    )
    return parser


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _print_repair(report: RepairReport) -> None:
    for item in report.missing:
        print(f"missing: {item}")
    if report.statements:
        print("would run:" if report.dry_run else "ran:")
        for statement in report.statements:
            print(f"  {statement};")
    if report.dry_run:
        print(f"dry run: nothing changed (database at {report.version})")
    elif report.statements:
        print(
            f"repaired: {_count(len(report.statements), 'statement')} (database at {report.version})"
        )
    else:
        print(f"nothing to repair: the database has what its revisions define ({report.version})")
    if report.needs_person:
        print("needs a person (a repair never drops or changes these):")
        for item in report.needs_person:
            print(f"  {item}")
        count = len(report.needs_person)
        raise NeedsAPerson(
            f"{_count(count, 'difference')} from the revisions"
            f" need{'s' if count == 1 else ''} a person (listed above)"
        )


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.migrate.runner import check_revision, migrate, resolve_target

    args = build_parser().parse_args(argv)
    if args.dry_run and not args.repair:
        raise BadInput(
            "--dry-run goes with --repair (upgrades cannot be dry-run: see MIGRATIONS.md)"
        )
    if args.repair and (args.downgrade or args.revision):
        raise BadInput(
            "--repair works at the database's own revision: no --revision or --downgrade"
        )
    if args.revision:
        check_revision(args.revision)
    target = resolve_target()
    if args.repair:
        from netra_devtools.migrate.repair import repair

        print(f"repairing {mask_url(target.url)} (from {target.source})", flush=True)
        _print_repair(repair(target.url, dry_run=args.dry_run))
        return 0
    direction = "downgrading" if args.downgrade else "migrating"
    wanted = args.revision or ("-1" if args.downgrade else "head")
    print(f"{direction} {mask_url(target.url)} (from {target.source}) to {wanted}", flush=True)
    version = migrate(target.url, revision=args.revision, downgrade=args.downgrade)
    print(f"done: database at {version}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Migrate; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
