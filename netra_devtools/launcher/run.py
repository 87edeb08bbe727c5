"""`invoke dev`: choose compose or local mode (and say why), then run it foreground or detached."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_backend.redact import mask_url
from netra_devtools import procs
from netra_devtools.errors import StackError
from netra_devtools.launcher import control, display
from netra_devtools.launcher.local import LocalOptions, LocalStack, rotate_log
from netra_devtools.launcher.readiness import log_tail
from netra_devtools.paths import COMPOSE_FILE
from netra_devtools.state import load_state

DETACH_START_TIMEOUT_S = 180


@dataclass
class UpOptions:
    """Everything `invoke dev` takes."""

    root: Path
    mode: str = "auto"
    profiles: list[str] = field(default_factory=list)
    no_clickhouse: bool = False
    port: int = 8000
    postgres_port: int | None = None
    detach: bool = False
    timeout: float = 120.0
    compose_file: Path = COMPOSE_FILE
    # compose's own variable, so plain `docker compose` calls address the same project
    project: str = field(default_factory=lambda: os.environ.get("COMPOSE_PROJECT_NAME") or "netra")
    supervised: bool = False


def compose_profiles(opts: UpOptions) -> list[str]:
    """The profiles to activate; `--no-clickhouse` drops `full` (it only adds ClickHouse)."""
    return [p for p in opts.profiles if not (opts.no_clickhouse and p == "full")]


def choose_mode(opts: UpOptions) -> tuple[str, str, Any]:
    """("compose" | "local", why, docker client or None); StackError when compose was demanded."""
    if opts.mode == "local":
        return "local", "requested with --mode local", None
    reason, client = _compose_blocker(opts)
    if reason is None:
        return "compose", "Docker engine reachable and every image present or pullable", client
    if opts.mode == "compose":
        raise StackError(f"compose mode unavailable: {reason}")
    return "local", f"compose mode skipped: {reason}", None


def _compose_blocker(opts: UpOptions) -> tuple[str | None, Any]:
    from netra_devtools.launcher import compose, compose_mode

    client, why = compose_mode.engine_client()
    if client is None:
        return why, None
    try:
        project = _project(opts)
        project.command = compose.compose_command()
        config = project.config()
    except (compose.ComposeUnavailable, compose.ComposeCommandFailed, OSError) as exc:
        return str(exc), None
    needed = compose.required_images(config, opts.compose_file.parent, project.profiles)
    missing: list[str] = []
    for service, images in needed.items():
        built_tag = config["services"][service].get("image")
        if config["services"][service].get("build") and built_tag:
            if not compose.missing_images(client, [built_tag]):
                continue  # built before: its base images are not needed again
        missing += [i for i in compose.missing_images(client, images) if i not in missing]
    if missing:
        return f"images neither present nor pullable (no registry?): {', '.join(missing)}", None
    return None, client


def _project(opts: UpOptions) -> Any:
    from netra_devtools.launcher.compose import ComposeProject

    return ComposeProject(
        file=opts.compose_file,
        project=opts.project,
        profiles=compose_profiles(opts),
        env={"NETRA_BACKEND_PORT": str(opts.port)},
    )


def compose_urls(opts: UpOptions, profiles: Sequence[str]) -> dict[str, str]:
    """What the compose stack publishes on the host (same defaults as docker-compose.dev.yml)."""
    env = os.environ
    password = env.get("POSTGRES_PASSWORD") or "postgres"
    pg_port = env.get("NETRA_POSTGRES_PORT") or "5432"
    urls = {
        "backend": f"http://127.0.0.1:{opts.port}",
        "DATABASE_URL": f"postgresql+psycopg2://postgres:{password}@127.0.0.1:{pg_port}/netra",
    }
    if "full" in profiles:
        urls["CLICKHOUSE_URL"] = (
            f"http://127.0.0.1:{env.get('NETRA_CLICKHOUSE_PORT') or '8123'}/default"
        )
    return urls


def up(opts: UpOptions, out: Any) -> int:
    """Start the stack in the chosen mode; foreground runs until Ctrl-C/SIGTERM."""
    state = load_state(opts.root)
    if state and not opts.supervised:
        if state.get("mode") == "compose":
            project = (state.get("compose") or {}).get("project", "netra")
            raise StackError(f"compose project {project} is recorded; `invoke down` stops it")
        running = control.alive(state)
        if running:
            names = ", ".join(f"{r.name} (pid {r.pid})" for r in running)
            raise StackError(f"a stack is already running: {names}; `invoke down` stops it")
        # stopped: starting again reuses its PostgreSQL data, and records the new run over it
    with display.waiting(out, "looking for a Docker engine and the compose images"):
        mode, why, client = choose_mode(opts)
    if not opts.supervised:  # the parent already said which mode and why
        display.step(out, "mode", mode, why)
    if mode == "compose":
        from netra_devtools.launcher import compose_mode

        project = _project(opts)
        with procs.termination_as_interrupt():
            return compose_mode.run_compose(
                out,
                client,
                project,
                timeout=opts.timeout,
                detach=opts.detach,
                state_root=opts.root,
                urls=compose_urls(opts, project.profiles),
            )
    if opts.detach:
        return start_detached(opts, out)
    return run_local(opts, out)


def people_urls(state: dict[str, Any]) -> dict[str, str]:
    """The URLs to print when ready (passwords masked)."""
    urls = dict(state.get("urls") or {})
    shown: dict[str, str] = {}
    if "backend" in urls:
        shown["backend"] = urls["backend"]
        shown["health"] = urls["backend"] + "/health"
        shown["docs"] = urls["backend"] + "/docs"
    for key in ("DATABASE_URL", "CLICKHOUSE_URL"):
        if urls.get(key):
            shown[key] = mask_url(urls[key])
    return shown


def run_local(opts: UpOptions, out: Any) -> int:
    """Local mode in the foreground: start, print URLs, stop everything on Ctrl-C or SIGTERM."""
    stack = LocalStack(
        LocalOptions(
            root=opts.root,
            backend_port=opts.port,
            postgres_port=opts.postgres_port,
            no_clickhouse=opts.no_clickhouse,
            ready_timeout=opts.timeout,
        ),
        out,
    )
    with procs.termination_as_interrupt():
        try:
            state = stack.start()
            display.urls(out, people_urls(state), Path(state["env_file"]))
            out.print(ready_line(state, supervised=opts.supervised))
            sys.stdout.flush()
            stack.mark_ready()
            # in the foreground the backend's lines follow; a background launcher's log holds
            # only its own lines (the backend has its log: `invoke logs` shows each line once)
            echo = (
                None
                if opts.supervised
                else lambda line: out.print(f"backend | {line}", markup=False)
            )
            stack.watch(echo=echo)
        finally:
            with procs.interrupts_deferred():
                started = stack.started_anything()
                if started:
                    out.print("stopping ...")
                stack.stop()
                if started:
                    out.print("stopped")
    return 0


def ready_line(state: dict[str, Any], *, supervised: bool) -> str:
    """ "ready" only when /health passes; else what is running and what is not."""
    how = "" if supervised else " - Ctrl-C stops the stack"
    if state.get("health") == "pass":
        return f"[bold green]ready[/bold green]: /health passes{how}"
    if "backend" in state["urls"]:
        why = "; ".join(state.get("health_problems") or []) or "see the backend line above"
        return f"[yellow]running, not ready[/yellow]: /health says warn ({why}){how}"
    return f"[yellow]partial[/yellow]: no backend (its line above says why){how}"


def start_detached(opts: UpOptions, out: Any) -> int:
    """Run local mode in a background launcher; return once its state says ready."""
    args = [sys.executable, "-m", "netra_devtools.launcher", "up", "--mode", "local"]
    args += ["--port", str(opts.port)]
    args += ["--timeout", str(opts.timeout), "--supervised"]
    if opts.no_clickhouse:
        args.append("--no-clickhouse")
    if opts.postgres_port:
        args += ["--postgres-port", str(opts.postgres_port)]
    log = rotate_log(opts.root / "logs" / "launcher.log")  # this run's lines only
    env = {**os.environ, "NETRA_STATE_DIR": str(opts.root)}
    child = procs.spawn(args, env=env, log=log, detach=True)
    deadline = time.monotonic() + DETACH_START_TIMEOUT_S
    shown = 0
    with display.waiting(out, "starting the stack in the background"):
        while time.monotonic() < deadline:
            shown = _echo_new_lines(out, log, shown)  # its steps as they happen, not its error
            state = load_state(opts.root)
            owner = next((r for r in control.recorded(state) if r.name == "launcher"), None)
            if state.get("ready") and owner is not None and owner.pid == child.pid:
                _echo_new_lines(out, log, shown)
                out.print(
                    f"running in the background (launcher pid {child.pid}): `invoke logs` "
                    "follows it, `invoke down` stops it"
                )
                return 0
            if child.poll() is not None:
                _echo_new_lines(out, log, shown)
                raise StackError(f"the stack did not start: {_launcher_error(log)}")
            time.sleep(0.2)
    procs.stop_tree(child.pid)
    raise StackError(
        f"the stack was not ready after {DETACH_START_TIMEOUT_S}s, so it was stopped: "
        f"{log_tail(log, 1)} (log: {log})"
    )


def _echo_new_lines(out: Any, log: Path, shown: int) -> int:
    """Print the complete lines `log` gained past byte `shown`, but its `error:` line (the
    parent says it, once, if the launcher exits); the new position."""
    try:
        with open(log, "rb") as handle:
            handle.seek(shown)
            data = handle.read()
    except OSError:
        return shown
    complete = data[: data.rfind(b"\n") + 1]
    for line in complete.decode("utf-8", errors="replace").splitlines():
        if not line.startswith("error: "):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    return shown + len(complete)


def _launcher_error(log: Path) -> str:
    """The background launcher's own `error:` line (what, why, the fix), else its last line."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    errors = [line for line in text.splitlines() if line.startswith("error: ")]
    if errors:
        return errors[-1].removeprefix("error: ")
    return f"{log_tail(log, 1)} (log: {log})"
