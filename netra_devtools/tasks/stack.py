"""Dev stack tasks: `invoke dev`, `down`, `reset`, `logs`, `health` (bodies in scripts/dev_launcher.py)."""

from __future__ import annotations

from invoke import Context, task

from netra_devtools.tasks import flag, option, run_script


@task(
    help={
        "mode": "auto (default), compose or local",
        "profile": "compose profile to activate (full adds ClickHouse)",
        "no_clickhouse": "run without analytics",
        "port": "backend port (default 8000)",
        "postgres_port": "local mode PostgreSQL port (default 5432 when free)",
        "detach": "leave the stack running in the background (`invoke down` stops it)",
        "timeout": "seconds to wait for readiness (default 120)",
    }
)
def dev(
    c: Context,
    mode: str = "",
    profile: str = "",
    no_clickhouse: bool = False,
    port: str = "",
    postgres_port: str = "",
    detach: bool = False,
    timeout: str = "",
) -> None:
    """Start the development stack (compose when Docker and images are there, else local)."""
    argv = ["up", *option("mode", mode), *option("profile", profile)]
    argv += flag("no-clickhouse", no_clickhouse) + option("port", port)
    argv += (
        option("postgres-port", postgres_port) + flag("detach", detach) + option("timeout", timeout)
    )
    run_script("dev_launcher", argv)


@task
def down(c: Context) -> None:
    """Stop the stack recorded in .netra/state.json (pids verified by create time)."""
    run_script("dev_launcher", ["down"])


@task(help={"yes": "delete without asking"})
def reset(c: Context, yes: bool = False) -> None:
    """Stop the stack and delete .netra/ (PostgreSQL data included), after confirmation."""
    run_script("dev_launcher", ["reset", *flag("yes", yes)])


@task(help={"tail": "lines of history per log (default 50)", "no_follow": "print history and exit"})
def logs(c: Context, tail: str = "", no_follow: bool = False) -> None:
    """Follow the stack's logs, known failures marked."""
    run_script("dev_launcher", ["logs", *option("tail", tail), *flag("no-follow", no_follow)])


@task(help={"json": "one JSON object on stdout", "timeout": "seconds per probe (default 2)"})
def health(c: Context, json: bool = False, timeout: str = "") -> None:
    """Status and latency of backend, PostgreSQL, ClickHouse and configured extras."""
    run_script("dev_launcher", ["health", *flag("json", json), *option("timeout", timeout)])
