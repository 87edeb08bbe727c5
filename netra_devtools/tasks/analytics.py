"""invoke spool and invoke check-clickhouse: the analytics spool and ClickHouse degradation."""

from __future__ import annotations

from invoke import Context, task

from netra_devtools.tasks import exit_with, flag, option, run_script


@task(
    help={
        "status": "show pending rows, oldest age and dropped rows per replica (the default)",
        "drain": "replay pending rows now (through the running backend when it holds the spool)",
        "discard": "delete pending rows (asks first unless --yes)",
        "yes": "discard without asking",
        "json": "print one JSON object",
        "dir": "spool directory (default CLICKHOUSE_SPOOL_DIR, else .netra/spool)",
        "url": "ClickHouse URL to drain into when no backend holds the spool",
        "timeout": "seconds a drain may take (default 30)",
        "verbose": "show tracebacks",
    }
)
def spool(
    c: Context,
    status: bool = False,
    drain: bool = False,
    discard: bool = False,
    yes: bool = False,
    json: bool = False,
    dir: str = "",
    url: str = "",
    timeout: str = "",
    verbose: bool = False,
) -> None:
    """The analytics spool: status (default), --drain now, --discard with confirmation."""

    from netra_devtools.analytics.cli import main

    argv = [
        *flag("status", status),
        *flag("drain", drain),
        *flag("discard", discard),
        *flag("yes", yes),
        *flag("json", json),
        *option("dir", dir),
        *option("url", url),
        *option("timeout", timeout),
        *flag("verbose", verbose),
    ]
    exit_with(main(argv))


@task(
    help={
        "url": "a real ClickHouse server (http://user:pass@host:port/db) instead of the embedded one",
        "database_url": "PostgreSQL for the backend (default: a throwaway cluster)",
        "scenario": "run only this scenario (repeatable as a comma list)",
        "events": "events sent per scenario (default 500)",
        "json": "print one JSON object",
        "verbose": "show tracebacks",
    }
)
def check_clickhouse(
    c: Context,
    url: str = "",
    database_url: str = "",
    scenario: str = "",
    events: str = "",
    json: bool = False,
    verbose: bool = False,
) -> None:
    """Run the ClickHouse degradation scenarios against a real backend; exit 1 if an event is lost."""
    run_script(
        "test_clickhouse_graceful_failure",
        [
            *option("url", url),
            *option("database-url", database_url),
            *option("scenario", scenario),
            *option("events", events),
            *flag("json", json),
            *flag("verbose", verbose),
        ],
    )
