"""`invoke introspect`: name the known problems in the dev stack's logs, with the fix."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from netra_devtools.tasks import flag, option, run_script


@task(
    help={
        "project": "compose project (default: COMPOSE_PROJECT_NAME or the directory name)",
        "service": "only this compose service",
        "since": "only logs since: 10m, 2h, unix time, or RFC 3339",
        "follow": "keep reading new lines until Ctrl-C, --timeout or --max-findings",
        "compose_file": "compose file for the compose CLI fallback",
        "file": "read a log file instead of containers (`-` for stdin)",
        "json": "JSON on stdout (JSON Lines with --follow)",
        "max_findings": "stop after this many findings",
        "timeout": "stop following after this many seconds",
    }
)
def introspect(
    c: Context,
    project: str = "",
    service: str = "",
    since: str = "",
    follow: bool = False,
    compose_file: str = "",
    file: str = "",
    json: bool = False,
    max_findings: str = "",
    timeout: str = "",
) -> None:
    """Scan container logs (or a file) against SPEC/learnings and print causes and fixes."""
    run_script(
        "docker_log_introspection_windows",
        [
            *option("project", project),
            *option("service", service),
            *option("since", since),
            *flag("follow", follow),
            *option("compose-file", compose_file),
            *option("file", file),
            *flag("json", json),
            *option("max-findings", max_findings),
            *option("timeout", timeout),
        ],
    )
