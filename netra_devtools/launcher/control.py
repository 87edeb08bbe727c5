"""Acting on a recorded stack: is it running, `down`, `reset`, `logs` (all from .netra/state.json).

`down` keeps a local stack's description (URLs, ports, PostgreSQL) marked stopped, so `invoke
migrate` can start its PostgreSQL again; `reset` deletes it with the data.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netra_devtools import procs
from netra_devtools.launcher import steps
from netra_devtools.state import clear_state, load_state, mark_stopped

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
    """Stop the recorded stack; return one line per thing stopped. A local stack's state.json
    stays, marked stopped (its URLs, ports and PostgreSQL data dir); a compose one is forgotten."""
    state = load_state(root)
    if not state:
        return []
    if state.get("mode") == "local" and not alive(state):
        mark_stopped(root)  # already stopped (or crashed): nothing to stop
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
    mark_stopped(root)
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
    """`down`, then delete the whole state directory (PostgreSQL data included, wherever it is)."""
    from netra_devtools.services.postgres import persistent_home

    done = down(root)
    for directory in dict.fromkeys([persistent_home(root), root]):
        if directory.exists():
            shutil.rmtree(directory)
            done.append(f"deleted {directory}")
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


def log_sources(root: Path, *, all_runs: bool = False) -> list[tuple[str, Path, int]]:
    """(name, file, offset) of each local log: from where this run began (the offset the launcher
    recorded when it started), or with `all_runs` every line, the previous run's file first."""
    offsets = load_state(root).get("log_offsets") or {}
    sources: list[tuple[str, Path, int]] = []
    for name, path in log_files(root).items():
        if all_runs:
            previous = path.with_name(path.name + ".1")  # rotated aside by the launcher
            sources += [(name, previous, 0)] if previous.exists() else []
        offset = 0 if all_runs else int(offsets.get(str(path), 0))
        with contextlib.suppress(OSError):
            if path.stat().st_size < offset:  # replaced since (a new cluster): all of it is new
                offset = 0
        sources.append((name, path, offset))
    return sources


def follow(
    sources: list[tuple[str, Path, int]], *, tail: int, keep_following: bool
) -> Iterator[tuple[str, str]]:
    """(source, line) pairs: the last `tail` lines of each file after its offset, then new lines
    as they come."""
    handles: list[tuple[str, Any]] = []
    for name, path, offset in sources:
        with contextlib.suppress(OSError):
            handle = open(path, "rb")
            handle.seek(offset)
            lines = handle.readlines()
            for line in lines[-tail:] if tail else []:
                yield name, _text(line)
            handles.append((name, handle))
    try:
        while keep_following:
            quiet = True
            for name, handle in handles:
                for line in handle.readlines():
                    quiet = False
                    yield name, _text(line)
            if quiet:
                time.sleep(0.25)
    finally:
        for _name, handle in handles:
            handle.close()


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r\n")


def annotate(source: str, line: str) -> list[dict[str, Any]]:
    """Learnings that match one log line (empty when the learnings part is missing)."""
    result = steps.match_learnings([line], source=source)
    return list(result.data.get("findings", []))
