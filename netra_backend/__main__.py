"""Run the backend: check Settings and the database first, then serve with uvicorn.

uvicorn turns a failing lifespan into a traceback and exit 3; this entry point answers bad
settings and an unreachable database with one line instead:

    $ python -m netra_backend --port 8000
    $ DATABASE_URL=postgresql://app@127.0.0.1:1/netra python -m netra_backend
    error: cannot reach PostgreSQL at 127.0.0.1:1 after 5 attempt(s) (Connection refused ...): start PostgreSQL ...

Exit codes: 0 stopped cleanly, 1 database unreachable, 2 bad settings or arguments.
Host and port default to NETRA_HOST / NETRA_PORT (127.0.0.1:8000).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from netra_backend.cli import ArgumentParser, ip_address, make_parser, port_number, run_cli
from netra_backend.logging_setup import configure_logging

APP = "netra_backend.app.main:app"


def build_parser() -> ArgumentParser:
    """The backend's options."""
    parser = make_parser(__doc__, prog="python -m netra_backend")
    parser.add_argument("--host", type=ip_address, help="address to listen on (NETRA_HOST)")
    parser.add_argument("--port", type=port_number, help="port to listen on (NETRA_PORT)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def _work(argv: Sequence[str] | None) -> int:
    from netra_backend.app.config import load_settings

    args = build_parser().parse_args(argv)
    settings = load_settings()  # SettingsError: bad input, exit 2
    configure_logging(args.log_level.upper())
    check_database(settings)

    import os

    import uvicorn

    # The app's own Settings (lifespan) see where it listens: the spool's owner note names it.
    os.environ["NETRA_HOST"] = str(args.host or settings.netra_host)
    os.environ["NETRA_PORT"] = str(args.port or settings.netra_port)

    uvicorn.run(
        APP,
        host=args.host or settings.netra_host,
        port=args.port or settings.netra_port,
        reload=args.reload,
        log_level=args.log_level,
        lifespan="on",
    )
    return 0


def check_database(settings: object) -> None:
    """Bounded retries against DATABASE_URL; DatabaseUnavailable (one line) when it stays away."""
    from netra_backend.app.db.database_manager import DatabaseManager

    db = DatabaseManager(settings)  # type: ignore[arg-type]
    try:
        db.wait_until_connected()
    finally:
        db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Validate, check, serve; the exit code follows the CLI contract."""
    return run_cli(_work, argv)


if __name__ == "__main__":
    sys.exit(main())
