"""The invoke tasks for people, each made from its tool's cli (`tasks.py` only collects them)."""

from __future__ import annotations

from invoke import Collection

from netra_devtools.analytics import cli as analytics_cli
from netra_devtools.doctor import cli as doctor_cli
from netra_devtools.images import cli as images_cli
from netra_devtools.launcher import cli as launcher_cli
from netra_devtools.learnings import cli as learnings_cli
from netra_devtools.migrate import cli as migrate_cli
from netra_devtools.ports import cli as ports_cli
from netra_devtools.tasks.from_parser import cli_task

# task name -> (the tool's cli module, its subcommand; None for a tool without subcommands)
TASKS = {
    "dev": (launcher_cli, "up"),
    "down": (launcher_cli, "down"),
    "reset": (launcher_cli, "reset"),
    "logs": (launcher_cli, "logs"),
    "health": (launcher_cli, "health"),
    "serve": (launcher_cli, "serve"),
    "doctor": (doctor_cli, None),
    "migrate": (migrate_cli, None),
    "introspect": (learnings_cli, "introspect"),
    "check-port": (ports_cli, "check"),
    "fix-port": (ports_cli, "fix"),
    "spool": (analytics_cli, "spool"),
    "check-clickhouse": (analytics_cli, "check"),
    "images": (images_cli, None),
}


def collection() -> Collection:
    """Every task, its options taken from the tool's parser."""
    ns = Collection()
    for name, (cli, command) in TASKS.items():
        ns.add_task(cli_task(name, cli.main, cli.build_parser(), command))
    return ns
