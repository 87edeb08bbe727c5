"""Acting on a recorded stack: is it running, `down`, `reset`, `logs` (all from .netra/state.json)."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netra_devtools import procs
from netra_devtools.launcher import steps
from netra_devtools.state import clear_state, load_state

LAUNCHER_EXIT_TIMEOUT_S = 60


def recorded(state: dict[str, Any]) -> list[procs.ProcessRecord]:
    """The processes state.json lists."""
    records = []
    for entry in state.get("processes") or []:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            records.append(
                procs.ProcessRecord(entry["name"], int(entry["pid"]), float(entry["create_time"]))
            )
    return records


def alive(state: dict[str, Any]) -> list[procs.ProcessRecord]:
    """Recorded processes that still run (pid and create time both match)."""
    return [r for r in recorded(state) if procs.is_same_process(r.pid, r.create_time)]


def down(root: Path) -> list[str]:
    """Stop the recorded stack; return one line per thing stopped. Clears state.json."""
    state = load_state(root)
    if not state:
        return []
    if state.get("mode") == "compose":
        return _down_compose(state, root)
    done: list[str] = []
    launcher = next((r for r in alive(state) if r.name == "launcher"), None)
    if launcher is not None:
        # The launcher stops its own children in order (backend, analytics, PostgreSQL).
        procs.request_stop(launcher.pid)
        if procs.wait_gone(launcher.pid, LAUNCHER_EXIT_TIMEOUT_S):
            done.append(f"launcher (pid {launcher.pid}) stopped its stack")
        else:
            procs.stop_tree(launcher.pid, grace=2)
            done.append(f"launcher (pid {launcher.pid}) did not exit in time: killed")
    for rec in alive(state):  # whatever the launcher could not stop (it crashed, or was killed)
        if rec.name == "postgres" and _stop_postgres(state):
            done.append(f"postgres (pid {rec.pid}) stopped with pg_ctl")
            continue
        procs.stop_recorded(rec)
        done.append(f"{rec.name} (pid {rec.pid}) stopped")
    clear_state(root)
    return done


def _stop_postgres(state: dict[str, Any]) -> bool:
    from netra_devtools.services import postgres

    info = state.get("postgres") or {}
    try:
        binaries = postgres.find_binaries(prefer=info.get("engine"))
        cluster = postgres.PostgresCluster(
            data_dir=Path(info["data_dir"]),
            binaries=binaries,
            port=int(info["port"]),
            password="",
            run_as=postgres.run_as_user(),
            throwaway=False,
        )
        cluster.stop()
    except (KeyError, ValueError, OSError, RuntimeError):
        return False
    return True


def recorded_project(state: dict[str, Any]) -> Any:
    """The ComposeProject a compose-mode state.json names."""
    from netra_devtools.launcher.compose import ComposeProject

    info = state.get("compose") or {}
    return ComposeProject(
        file=Path(info["file"]),
        project=info.get("project", "netra"),
        profiles=info.get("profiles") or [],
        command=info.get("command") or [],
        env=info.get("env") or {},
    )


def _down_compose(state: dict[str, Any], root: Path) -> list[str]:
    project = recorded_project(state)
    project.run("down")
    clear_state(root)
    return [f"compose project {project.project} taken down"]


def reset(root: Path) -> list[str]:
    """`down`, then delete the whole state directory (PostgreSQL data included)."""
    done = down(root)
    if root.exists():
        shutil.rmtree(root)
        done.append(f"deleted {root}")
    return done


def log_files(root: Path) -> dict[str, Path]:
    """The local stack's log files by name (backend, launcher, postgres)."""
    state = load_state(root)
    files = {name: Path(path) for name, path in (state.get("logs") or {}).items()}
    for path in sorted((root / "logs").glob("*.log")):
        files.setdefault(path.stem, path)
    pg = (state.get("postgres") or {}).get("data_dir")
    for path in [Path(pg)] if pg else sorted(root.glob("pg-*")):
        if (path / "server.log").exists():
            files.setdefault("postgres", path / "server.log")
    return files


def follow_compose(
    state: dict[str, Any], *, tail: int, keep_following: bool
) -> Iterator[tuple[str, str]]:
    """(service, line) pairs: compose's own output at `up` (as `compose`), then `compose logs`."""
    import os
    import subprocess

    own = (state.get("logs") or {}).get("compose")
    with contextlib.suppress(OSError):  # a publish clash fails in the daemon: only compose says so
        lines = Path(own).read_text(encoding="utf-8", errors="replace").splitlines() if own else []
        for line in lines[-tail:] if tail else []:
            yield "compose", line
    project = recorded_project(state)
    args = project.args(
        "logs", "--no-color", "--tail", str(tail), *(["-f"] if keep_following else [])
    )
    # Following has no end by design (Ctrl-C stops it); the history-only call is bounded.
    with subprocess.Popen(
        args,
        env={**os.environ, **project.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                source, sep, line = raw.rstrip("\n").partition("|")
                if sep:
                    yield _service_of(source.strip(), project.project), line.lstrip(" ")
                else:
                    yield "compose", raw.rstrip("\n")
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(10)


def _service_of(prefix: str, project: str) -> str:
    """`netra_backend_1` (v1) or `netra-backend-1` / `backend-1` (v2) -> `backend`."""
    for sep in ("_", "-"):
        if prefix.startswith(project + sep):
            prefix = prefix[len(project) + 1 :]
        head, dash, index = prefix.rpartition(sep)
        if dash and index.isdigit():
            prefix = head
    return prefix


def follow(files: dict[str, Path], *, tail: int, keep_following: bool) -> Iterator[tuple[str, str]]:
    """(source, line) pairs: the last `tail` lines of each file, then new lines as they come."""
    handles = {}
    for name, path in files.items():
        with contextlib.suppress(OSError):
            handle = open(path, encoding="utf-8", errors="replace")
            lines = handle.readlines()
            for line in lines[-tail:] if tail else []:
                yield name, line.rstrip("\n")
            handles[name] = handle
    try:
        while keep_following:
            quiet = True
            for name, handle in handles.items():
                for line in handle.readlines():
                    quiet = False
                    yield name, line.rstrip("\n")
            if quiet:
                time.sleep(0.25)
    finally:
        for handle in handles.values():
            handle.close()


def annotate(source: str, line: str) -> list[dict[str, Any]]:
    """Learnings that match one log line (empty when the learnings part is missing)."""
    result = steps.match_learnings([line], source=source)
    return list(result.data.get("findings", []))
