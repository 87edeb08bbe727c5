"""`invoke migrate`: upgrade or downgrade the backend's database to a revision.

Which database: DATABASE_URL, else the local stack's from .netra/state.json (started when it is
down), else an error. Never a throwaway database that would vanish with the process.

    $ invoke migrate
    migrating postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra (from DATABASE_URL) to head
    done: database at 66e0e5d9662d
    $ invoke migrate --downgrade --revision base
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from netra_backend.redact import mask_url
from netra_devtools.cli import ArgumentParser, make_parser, run_cli


def build_parser() -> ArgumentParser:
    """The migrate options (the invoke task is made from these)."""
    parser = make_parser(__doc__, prog="invoke migrate")
    parser.add_argument("--revision", help="target revision (default: head, or -1 to downgrade)")
    parser.add_argument("--downgrade", action="store_true", help="downgrade instead of upgrade")
    return parser


def _work(argv: Sequence[str] | None) -> int:
    from netra_devtools.migrate.runner import check_revision, migrate, resolve_target

    args = build_parser().parse_args(argv)
    if args.revision:
        check_revision(args.revision)
    target = resolve_target()
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
