"""invoke doctor: diagnose the development stack and apply the safe fixes."""

from __future__ import annotations

from invoke import Context, task

from netra_devtools.tasks import exit_with, flag, option


@task(
    help={
        "fix": "apply the safe fixes (free ports held by orphans of ours, run migrations)",
        "yes": "do not ask before destructive fixes",
        "json": "print one JSON object instead of a table",
        "list_checks": "list the checks and exit",
        "check": "run only these checks, comma-separated (see --list-checks)",
        "verbose": "show tracebacks",
    }
)
def doctor(
    c: Context,
    fix: bool = False,
    yes: bool = False,
    json: bool = False,
    list_checks: bool = False,
    check: str = "",
    verbose: bool = False,
) -> None:
    """Check Python, Docker, ports, PostgreSQL, migrations, ClickHouse and logs; exit 1 on fail."""

    from netra_devtools.doctor.cli import main

    argv = [
        *flag("fix", fix),
        *flag("yes", yes),
        *flag("json", json),
        *flag("list-checks", list_checks),
        *option("check", check),
        *flag("verbose", verbose),
    ]
    exit_with(main(argv))
