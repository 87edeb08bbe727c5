"""Compose mode end to end: up -d, live wait for health, log tail + learnings on failure, down."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from netra_devtools.errors import StackError
from netra_devtools.launcher import display, steps
from netra_devtools.launcher.compose import (
    ComposeCommandFailed,
    ComposeProject,
    ServiceState,
    WaitResult,
    active_services,
    log_tail,
    service_states,
    wait_until_healthy,
)
from netra_devtools.state import clear_state, save_state

LOG_TAIL_LINES = 20
COMPOSE_LOG = "compose.log"  # compose's own output: failures in the daemon leave no container log


def engine_client(timeout: int = 3) -> tuple[Any | None, str]:
    """A Docker SDK client for the engine in the environment, or None and the reason."""
    where = os.environ.get("DOCKER_HOST") or "the default socket"
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        client.ping()
        return client, f"Docker engine reachable at {where}"
    except Exception:  # missing socket, refused, permission, bad DOCKER_HOST: all mean "not here"
        return None, f"no Docker engine reachable at {where}"


def explain_failure(out: Any, client: Any, result: WaitResult, lines: int) -> list[dict[str, Any]]:
    """Print each failing service's last log lines and the learnings they match; return them."""
    report: list[dict[str, Any]] = []
    for state in result.failing:
        tail = log_tail(client, state, lines)
        out.print(
            f"[bold red]{state.service}[/bold red] {state.label()} - last {len(tail)} log lines:"
        )
        for line in tail:
            out.print(f"  {line}", markup=False, highlight=False)
        match = steps.match_learnings(tail, source=state.service)
        findings = match.data.get("findings", [])
        for finding in findings:
            out.print(
                f"  [yellow]known failure[/yellow] {finding.get('signature')}: {finding.get('learning')}"
            )
        if not match.ok:
            out.print(f"  [dim]{match.detail}[/dim]")
        report.append(
            {"service": state.service, "state": state.label(), "log": tail, "findings": findings}
        )
    return report


def wait_with_display(
    out: Any, client: Any, project: ComposeProject, services: list[str], timeout: float
) -> WaitResult:
    """wait_until_healthy with a live table of the services' states."""
    started = time.monotonic()
    with display.LiveServices(out, f"waiting for {project.project}") as live:
        return wait_until_healthy(
            client,
            project.project,
            services,
            timeout=timeout,
            on_update=lambda states: live.update(states, time.monotonic() - started),
        )


def explain_compose_failure(out: Any, output: str, lines: int) -> list[dict[str, Any]]:
    """Print the end of compose's own output and the learnings it matches; return those."""
    text = output.strip().splitlines()
    out.print(f"[bold red]compose up failed[/bold red] - last {min(lines, len(text))} lines:")
    for line in text[-lines:]:
        out.print(f"  {line}", markup=False, highlight=False)
    findings: list[dict[str, Any]] = steps.match_learnings(text, source="compose").data["findings"]
    named = {f["signature"]: f for f in findings}  # compose repeats an error per container
    for finding in named.values():
        out.print(
            f"  [yellow]known failure[/yellow] {finding['signature']} ({finding['learning']}): "
            f"{finding['fix']}"
        )
    return list(named.values())


def compose_state(project: ComposeProject, urls: dict[str, str], log: Path) -> dict[str, Any]:
    """What state.json records for a compose stack: enough for `down`, `logs` and the doctor."""
    return {
        "mode": "compose",
        "compose": {
            "file": str(project.file),
            "project": project.project,
            "profiles": list(project.profiles),
            "command": project.command,
            # the engine and ports compose used, so `down` and `logs` reach the same project
            "env": {
                k: v
                for k, v in {**os.environ, **project.env}.items()
                if k == "DOCKER_HOST" or k.startswith("NETRA_") and k.endswith("_PORT")
            },
        },
        "logs": {"compose": str(log)},
        "urls": urls,
        "processes": [],
    }


def compose_up(out: Any, project: ComposeProject, log: Path) -> None:
    """`up -d`, its output kept in `log`; on failure, the known failures it shows and their fix."""
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        stdout, stderr = project.run_with_output("up", "-d")
    except ComposeCommandFailed as exc:
        log.write_text(exc.output, encoding="utf-8")
        findings = explain_compose_failure(out, exc.output, LOG_TAIL_LINES)
        known = "; ".join(f"known failure {f['signature']} (fix: {f['fix']})" for f in findings)
        raise StackError(
            f"{exc}{'; ' + known if known else ''}; `invoke logs` shows compose's output, "
            "`invoke down` removes what it started"
        ) from None
    log.write_text(stdout + stderr, encoding="utf-8")


def run_compose(
    out: Any,
    client: Any,
    project: ComposeProject,
    *,
    timeout: float,
    detach: bool,
    state_root: Path,
    urls: dict[str, str],
) -> int:
    """Bring the project up, wait for health, then either return (detach) or run until Ctrl-C."""
    services = active_services(project.config(), project.profiles)
    display.step(out, "compose", "starting", " ".join(project.args("up", "-d")[-3:]))
    log = state_root / COMPOSE_LOG  # not under logs/: local mode would show it as its own
    # recorded before `up`: `invoke down` then removes whatever a failed start left behind
    save_state(compose_state(project, urls, log), state_root)
    with display.waiting(out, "creating the containers"):
        compose_up(out, project, log)
    result = wait_with_display(out, client, project, services, timeout)
    if not result.ready:
        explain_failure(out, client, result, LOG_TAIL_LINES)
        raise StackError(f"{result.reason}; `invoke logs` to follow, `invoke down` to stop")
    display.step(out, "compose", "ok", f"{len(services)} service(s) ready in {result.elapsed:.1f}s")
    own = {k: v for k, v in urls.items() if k in ("DATABASE_URL", "CLICKHOUSE_URL")}
    display.urls(out, urls, steps.write_env_file(state_root, own))
    if detach:
        return 0
    try:
        watch_until_stopped(client, project, services)
    finally:
        out.print("stopping compose services ...")
        project.run("down")
        clear_state(state_root)
    raise StackError("a service stopped; its containers were taken down")


def watch_until_stopped(client: Any, project: ComposeProject, services: list[str]) -> None:
    """Block until Ctrl-C/SIGTERM (KeyboardInterrupt) or until a service's container stops."""
    while True:
        time.sleep(1)
        states: dict[str, ServiceState] = service_states(client, project.project, services)
        if any(s.failed for s in states.values()):
            return
