"""`invoke serve`: the backend alone, on the user's own URLs or else the local stack's.

One source of truth: a DATABASE_URL/CLICKHOUSE_URL the user set (environment or `.env`) always
wins; what the user did not set comes from the stack in .netra/state.json. The first lines say
which was used, masked. A stopped stack's PostgreSQL does not run: serve says how to start it
instead of retrying a database that is not there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netra_devtools.errors import StackError
from netra_devtools.state import (
    RUNNING,
    UrlChoice,
    choose_url,
    load_state,
    stack_origin,
    stack_status,
    state_label,
    user_value,
)


def serve_environment(
    root: Path, port: int, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(variables to set for the backend, the lines that say where its URLs came from)."""
    state = load_state(root)
    running = stack_status(state) == RUNNING
    database = choose_url("DATABASE_URL", state, environ)
    clickhouse = choose_url("CLICKHOUSE_URL", state, environ)
    if database.from_stack and not running:
        raise StackError(
            f"{stack_origin(state)} in {state_label(root)} does not run, so neither does its "
            "PostgreSQL: start it with `invoke dev --detach`, or set DATABASE_URL to your own"
        )
    if clickhouse.from_stack and not running:  # its embedded engine went with it
        clickhouse = UrlChoice("CLICKHOUSE_URL", "", "")
    used = [c for c in (database, clickhouse) if c.from_stack]
    env = {c.name: c.url for c in used}
    if used:
        # the stack's backend holds the default replica's spool: this one spools beside it
        spool = state.get("spool_dir")
        if spool and not user_value("CLICKHOUSE_SPOOL_DIR", environ)[0]:
            env["CLICKHOUSE_SPOOL_DIR"] = str(spool)
        if not user_value("NETRA_REPLICA_ID", environ)[0]:
            env["NETRA_REPLICA_ID"] = f"serve-{port}"
    mine = [c for c in (database, clickhouse) if c.url and not c.from_stack]
    stack = f"{stack_origin(state)}'s URLs ({state_label(root)})"
    if used:
        head = f"serving with {stack}" + (", and yours where you set them" if mine else "")
    else:
        head = "serving with your own URLs" + (f", not {stack}" if state else "")
    lines = [head] + [f"  {_say(choice)}" for choice in (database, clickhouse)]
    return env, lines


def _say(choice: UrlChoice) -> str:
    if choice.url:
        return choice.describe()
    if choice.name == "DATABASE_URL":
        return "DATABASE_URL unset: the backend's default (postgres@localhost:5432/netra)"
    return "CLICKHOUSE_URL unset: analytics disabled"


def serve(host: str, port: int, reload: bool, root: Path, out: Any) -> int:
    """Check the port, choose the URLs (saying which), then run `python -m netra_backend`."""
    import os

    from netra_backend.__main__ import main as backend_main
    from netra_devtools.launcher import steps
    from netra_devtools.ports import port_is_free

    if not port_is_free(port, host):
        raise StackError(steps.port_busy_message(port, "invoke serve --port"))
    env, lines = serve_environment(root, port)
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)
    out.print(f"backend on http://{host}:{port} (Ctrl-C stops it)", markup=False)
    os.environ.update(env)  # the backend's Settings read them; the user's own stay untouched
    return backend_main(["--host", host, "--port", str(port), *(["--reload"] if reload else [])])
