"""The doctor on a real local stack: "held by our running stack" vs "an orphan of ours", and --fix."""

from __future__ import annotations

import os
import signal

import psutil

from netra_devtools.services.postgres import free_port
from tests.integration.test_doctor import Doctor, by_name, listening
from tests.integration.test_launcher_local import Launcher, launcher  # noqa: F401 (fixture)


def _pids(state: dict[str, object]) -> dict[str, int]:
    return {p["name"]: int(p["pid"]) for p in state["processes"]}  # type: ignore[attr-defined]


def test_ports_of_a_running_stack_are_ok_and_its_orphans_are_freed_by_fix(
    launcher: Launcher,  # noqa: F811
) -> None:
    port, pg_port = free_port(), free_port()
    proc = launcher.start("--no-clickhouse", "--port", str(port), "--postgres-port", str(pg_port))
    state = launcher.wait_ready(proc, timeout=120)
    pids = _pids(state)
    doctor = Doctor(launcher.root)
    # the same ports as the launcher's: once the fix clears state.json, these are checked again
    doctor.env.update(NETRA_BACKEND_PORT=str(port), NETRA_POSTGRES_PORT=str(pg_port))

    code, report = doctor.json("--check", "ports", "--check", "postgres", "--check", "migrations")
    checks = by_name(report)
    assert code == 0, report
    assert checks["ports"]["status"] == "ok"
    assert f"{port} (backend)" in checks["ports"]["reason"]
    assert f"{pg_port} (postgres)" in checks["ports"]["reason"]
    assert "held by our running stack" in checks["ports"]["reason"]
    assert checks["postgres"]["status"] == "ok" and checks["migrations"]["status"] == "ok"

    os.kill(pids["launcher"], signal.SIGKILL)  # the field report's crash: children orphaned
    proc.wait(10)
    assert listening(port) and listening(pg_port)
    code, report = doctor.json("--check", "ports")
    ports = by_name(report)["ports"]
    assert code == 1 and ports["status"] == "fail" and ports["fixable"]
    assert "an orphan of ours" in ports["reason"]
    assert sorted(ports["details"]["orphans"]) == sorted([port, pg_port])

    declined = doctor.run("--check", "ports", "--fix")  # destructive: no tty, no --yes -> declined
    assert declined.returncode == 1 and listening(port)

    code, report = doctor.json("--check", "ports", "--fix", "--yes")
    ports = by_name(report)["ports"]
    assert code == 0, report
    assert ports["status"] == "ok" and ports["fixed"]["applied"]
    assert not listening(port) and not listening(pg_port)
    assert not any(psutil.pid_exists(pids[n]) for n in ("backend", "postgres"))
    assert launcher.state() == {}
