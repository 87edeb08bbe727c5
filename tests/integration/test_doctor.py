"""`invoke doctor` against real services: a healthy setup, and each broken one with its verdict and fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.services.postgres import free_port
from tests.conftest import REPO_ROOT
from tests.support.launcher import listening

DOCTOR = "from netra_devtools.doctor.cli import main; raise SystemExit(main())"
BASE_REVISION = "4a1e0c3b7d21"  # the revision before head: "migrations behind"
UNREACHABLE_DOCKER = "unix:///nonexistent/netra-test-docker.sock"


class Doctor:
    """Runs the doctor CLI in a child process with a controlled environment and state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.code = DOCTOR  # what the child runs: a test may prepend to it
        self.cwd = REPO_ROOT
        drop = ("DATABASE_URL", "CLICKHOUSE_URL", "CLICKHOUSE_REQUIRED", "COMPOSE_PROJECT_NAME")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            {
                "NETRA_STATE_DIR": str(state_dir),
                "DOCKER_HOST": UNREACHABLE_DOCKER,  # no engine: docker warns, logs are skipped
                # ports nobody else uses, so the verdicts do not depend on the machine
                "NETRA_BACKEND_PORT": str(free_port()),
                "NETRA_POSTGRES_PORT": str(free_port()),
                "NETRA_CLICKHOUSE_PORT": str(free_port()),
            }
        )

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", self.code, *args],
            env={**self.env, **env},
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def json(self, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
        done = self.run("--json", *args, **env)
        assert done.stdout.strip(), done.stderr
        return done.returncode, dict(json.loads(done.stdout))


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def listener(port: int) -> subprocess.Popen[str]:
    """A real foreign process listening on `port` (it prints once it listens)."""
    code = (
        "import socket, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen(); print('listening', flush=True)\n"
        "time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "listening"
    return proc


@pytest.fixture
def doctor() -> Iterator[Doctor]:
    work = Path(tempfile.mkdtemp(prefix="netra-doctor-test-"))
    yield Doctor(work / ".netra")
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def migrated_url(database_url: str) -> str:
    from netra_devtools.migrate import runner as migrate

    migrate.migrate(database_url)
    return database_url


@pytest.fixture(scope="module")
def clickhouse_url() -> Iterator[str]:
    """A real ClickHouse engine (chdb) behind a loopback HTTP endpoint; "" (analytics disabled,
    the healthy setup there) where the embedded extra is not installed, as on Windows."""
    from netra_devtools.services import clickhouse

    if not clickhouse.chdb_available():
        yield ""
        return
    work = Path(tempfile.mkdtemp(prefix="netra-doctor-ch-"))
    engine = clickhouse.start_embedded(work / "data")
    try:
        yield engine.url
    finally:
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_healthy_setup_exits_0_with_a_reason_for_every_check(
    doctor: Doctor, migrated_url: str, clickhouse_url: str
) -> None:
    code, report = doctor.json(DATABASE_URL=migrated_url, CLICKHOUSE_URL=clickhouse_url)
    checks = by_name(report)
    assert code == 0, report
    assert list(checks) == [
        "python", "docker", "ports", "postgres", "migrations", "clickhouse", "logs"
    ]  # fmt: skip
    from netra_devtools.doctor.dependency_checks import _problems, declared

    embedded = not _problems(declared("embedded"))
    assert {n: c["status"] for n, c in checks.items()} == {
        "python": "ok" if embedded else "warn",  # without the embedded engines: warn, says why
        "docker": "warn",  # no engine here: compose mode unavailable, local mode works
        "ports": "ok",
        "postgres": "ok",
        "migrations": "ok",
        "clickhouse": "ok",
        "logs": "skipped",
    }
    assert all(c["reason"] for c in checks.values())
    assert "at head 66e0e5d9662d, no drift" in checks["migrations"]["reason"]
    expected = "ClickHouse " if clickhouse_url else "analytics disabled"
    assert checks["clickhouse"]["reason"].startswith(expected)
    assert report["status"] == "warn"


def test_port_held_by_a_foreign_process_fails_with_the_port_doctors_fix_and_is_not_killed(
    doctor: Doctor,
) -> None:
    port = int(doctor.env["NETRA_BACKEND_PORT"])
    holder = listener(port)
    try:
        code, report = doctor.json("--check", "ports", "--fix", "--yes")
        ports = by_name(report)["ports"]
        assert code == 1
        assert ports["status"] == "fail"
        assert f"pid {holder.pid}" in ports["reason"] or str(holder.pid) in ports["reason"]
        assert str(holder.pid) in ports["fix"]  # the port doctor's own fix names the holder
        assert ports["fixable"] is False
        assert holder.poll() is None and listening(port)
    finally:
        holder.kill()
        holder.wait(10)


def test_database_down_fails_with_a_masked_url_and_the_learning(
    doctor: Doctor, postgres_cluster: Any
) -> None:
    url = postgres_cluster.create_database("netra")
    password = postgres_cluster.password
    postgres_cluster.stop()
    code, report = doctor.json("--check", "postgres", "--check", "migrations", DATABASE_URL=url)
    checks = by_name(report)
    assert code == 1
    assert checks["postgres"]["status"] == "fail"
    assert "***" in checks["postgres"]["reason"] and password not in json.dumps(report)
    assert "postgres-unreachable" in checks["postgres"]["fix"]
    assert checks["migrations"]["status"] == "skipped"


def test_migrations_behind_fail_and_fix_runs_them(doctor: Doctor, database_url: str) -> None:
    from netra_devtools.migrate import runner as migrate

    migrate.migrate(database_url, revision=BASE_REVISION)
    code, report = doctor.json("--check", "migrations", DATABASE_URL=database_url)
    check = by_name(report)["migrations"]
    assert code == 1 and check["status"] == "fail" and check["fixable"]
    assert f"database at {BASE_REVISION}" in check["reason"]

    code, report = doctor.json("--check", "migrations", "--fix", DATABASE_URL=database_url)
    check = by_name(report)["migrations"]
    assert code == 0, report
    assert check["status"] == "ok" and check["fixed"]["applied"]
    assert migrate.current_version(database_url) == migrate.head_version()


def test_schema_drift_at_head_fails_and_names_the_difference(
    doctor: Doctor, migrated_url: str
) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE userbase ADD COLUMN stray integer"))
    engine.dispose()
    code, report = doctor.json("--check", "migrations", DATABASE_URL=migrated_url)
    check = by_name(report)["migrations"]
    assert code == 1 and check["status"] == "fail" and not check["fixable"]
    assert "drifted from the revisions where a repair never drops or changes" in check["reason"]
    assert check["details"]["needs_person"] == ["extra column userbase.stray"]
    assert check["fix"] == "change these by hand, or write a revision that does"


def test_clickhouse_down_warns_degraded_and_fails_when_required(doctor: Doctor) -> None:
    url = f"http://default:secret-pw@127.0.0.1:{free_port()}/default"  # nothing listens there
    code, report = doctor.json("--check", "clickhouse", CLICKHOUSE_URL=url)
    check = by_name(report)["clickhouse"]
    assert code == 0 and check["status"] == "warn"
    assert "degraded" in check["reason"] and "secret-pw" not in json.dumps(report)

    code, report = doctor.json(
        "--check", "clickhouse", CLICKHOUSE_URL=url, CLICKHOUSE_REQUIRED="true"
    )
    assert code == 1 and by_name(report)["clickhouse"]["status"] == "fail"


def test_list_checks_and_unknown_check(doctor: Doctor) -> None:
    listed = doctor.run("--list-checks")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "python", "docker", "ports", "postgres", "migrations", "clickhouse", "logs"
    ]  # fmt: skip
    unknown = doctor.run("--check", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: unknown check 'nope'")
    assert len(unknown.stderr.strip().splitlines()) == 1


def test_human_table_names_every_check(doctor: Doctor) -> None:
    done = doctor.run("--check", "python", "--check", "docker")
    assert done.returncode == 0, done.stderr
    assert "python" in done.stdout and "docker" in done.stdout and "overall: warn" in done.stdout


def test_local_stack_logs_with_a_known_failure_warn_with_its_fix(doctor: Doctor) -> None:
    from netra_devtools.state import save_state

    log = doctor.state_dir / "logs" / "backend.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "INFO:     Started server process [42]\n"
        "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): "
        "address already in use\n",
        encoding="utf-8",
    )
    save_state({"mode": "local", "processes": [], "logs": {"backend": str(log)}}, doctor.state_dir)
    code, report = doctor.json("--check", "logs")
    check = by_name(report)["logs"]
    assert code == 0 and check["status"] == "warn"
    assert check["details"]["by_signature"] == {"port-in-use in backend": 1}
    assert check["fix"].startswith("invoke fix-port")

    log.write_text("INFO:     Application startup complete.\n", encoding="utf-8")
    code, report = doctor.json("--check", "logs")
    assert by_name(report)["logs"]["status"] == "ok"


def test_python_check_fails_for_a_missing_or_too_old_declared_dependency(
    doctor: Doctor, tmp_path: Path
) -> None:
    # Distribution metadata earlier on sys.path wins: declare what this environment lacks.
    info = tmp_path / "netra_devtools-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: netra-devtools\nVersion: 0.1.0\n"
        "Requires-Dist: rich>=999\nRequires-Dist: netra-absent-package>=1\n"
        'Requires-Dist: chdb>=2.0; extra == "embedded"\n',
        encoding="utf-8",
    )
    doctor.cwd = tmp_path  # not the checkout: its netra_devtools.egg-info would come first
    code, report = doctor.json("--check", "python", PYTHONPATH=str(tmp_path))
    check = by_name(report)["python"]
    assert code == 1 and check["status"] == "fail"
    assert "netra-absent-package missing" in check["reason"]
    assert "(needs >=999)" in check["reason"] and check["reason"].count("rich ") == 1


def test_invoke_doctor_runs_the_named_checks_and_exits_with_their_verdict(doctor: Doctor) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "doctor", "--json", "--check", "python,clickhouse"],
        env={**doctor.env, "CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}/default",
             "CLICKHOUSE_REQUIRED": "true"},
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [c["name"] for c in report["checks"]] == ["python", "clickhouse"]
    assert [c["status"] for c in report["checks"]][1:] == ["fail"]
    assert report["summary"]["fail"] == 1
