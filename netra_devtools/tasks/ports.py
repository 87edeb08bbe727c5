"""invoke tasks for the port doctor: `fix-port` and `check-port`."""

from __future__ import annotations

from invoke.tasks import task

from netra_devtools.tasks import flag, option, run_script


@task(
    help={
        "port": "TCP port to free (default 8000)",
        "force": "also stop other users' processes (needs root/admin)",
        "dry_run": "say what would be stopped, signal nothing",
        "json": "print one JSON object",
    }
)
def fix_port(c, port="8000", force=False, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Free a port safely: stop only its listeners (and a reloader parent that would respawn them)."""
    argv = option("port", port) + flag("force", force) + flag("dry-run", dry_run)
    run_script("fix_port_8000_windows", argv + flag("json", json))


@task(
    help={
        "port": "TCP port to check (default 8000)",
        "host": "only this address (default: 127.0.0.1, 0.0.0.0, ::1 and ::)",
        "json": "print one JSON object",
    }
)
def check_port(c, port="8000", host="", json=False):  # type: ignore[no-untyped-def]
    """Say whether a port binds; if not, who holds it and the exact fix."""
    run_script(
        "test_backend_port_binding",
        option("port", port) + option("host", host) + flag("json", json),
    )
