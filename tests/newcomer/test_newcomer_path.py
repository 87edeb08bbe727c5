"""The newcomer's path, as a new developer walks it: a fresh clone in a private directory, a fresh
venv, the README's install commands, `invoke dev --detach`, `invoke serve` against that stack,
`invoke health`, `invoke logs`, `invoke down`, then a smoke subset of the suite from the clone.

What is fresh: the clone (git clone of this checkout's HEAD into `mktemp -d`, mode 0700, as CI
images and dev containers have it, root's private directory as root), the venv inside it, the
`.netra/` state. What is reused: pip installs from the machine's package index and cache (the
wheels are not downloaded again, but every package is installed into the new venv, so a missing
dependency or extra still fails here), and the README's second command runs `nox -s tests`
with `--no-venv --no-install` on a smoke subset: the same session and test command, in the venv
the first command made, instead of a second 1 GB install and the whole suite (which CI runs).

It asserts what the user sees: no line carries a Python exception repr or an unmasked secret.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from netra_devtools.compat import WINDOWS, is_root
from netra_devtools.launcher.readiness import fetch_health
from netra_devtools.ports import port_is_free
from netra_devtools.services.postgres import free_port
from tests.conftest import REPO_ROOT, service_missing
from tests.support.skips import by_design

pytestmark = [
    by_design(WINDOWS, "POSIX paths and signals; Windows has its own CI job"),
    pytest.mark.timeout(900),
]

README_INSTALLS = (
    'python -m pip install -e ".[dev,embedded]"',
    'python -m pip install -e ".[dev]"',
)
# what the smoke subset runs from the clone: the CLI edge, the launcher's scripts and health, a
# throwaway PostgreSQL from the private venv, and a check run as `nobody` from a private clone
SMOKE = (
    "tests/unit/test_layers.py",
    "tests/scripts/test_dev_launcher.py",
    "tests/integration/test_postgres_service.py",
    "tests/integration/test_ports_diagnose.py::test_privileged_port_is_classified_for_an_unprivileged_user",
)
EXCEPTION_REPR = re.compile(
    r"Traceback \(most recent call last\)"  # a traceback
    r"|\b[A-Z][A-Za-z]*(?:Error|Exception)(?::|\()"  # `URLError: ...`, `OSError(...)`
    r"|<[a-z]+ error"  # `<urlopen error [Errno 111] ...>`
    r"|\[Errno \d+\]"  # str() of an OSError
)
# the caller's own settings must not leak into a newcomer's first run
ENV_DROP = ("DATABASE_URL", "CLICKHOUSE_URL", "NETRA_STATE_DIR", "DOCKER_HOST", "VIRTUAL_ENV")


@dataclass
class Newcomer:
    """A fresh clone with its own venv; runs commands there and keeps what the user saw."""

    clone: Path
    env: dict[str, str]
    seen: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.clone / ".venv" / "bin"

    def run(
        self, *args: str, timeout: float = 240, shown: bool = True, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            list(args), cwd=self.clone, env={**self.env, **extra_env}, capture_output=True,
            text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        what = " ".join([Path(args[0]).name, *args[1:4]])
        self.timings[what] = self.timings.get(what, 0) + round(time.monotonic() - started, 1)
        if shown:  # what a person reads in the terminal
            self.seen.append((" ".join(args), done.stdout + done.stderr))
        return done

    def invoke(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.bin / "invoke"), *args, timeout=timeout)


def _clone_into_private_directory() -> tuple[Path, Path]:
    """(the 0700 directory, the clone inside it)."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        service_missing("git and a git checkout are needed to clone the repository")
    private = Path(tempfile.mkdtemp(prefix="netra-newcomer-"))  # 0700, like `mktemp -d`
    clone = private / "netra-devtools"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO_ROOT), str(clone)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return private, clone


@pytest.fixture
def newcomer() -> Iterator[Newcomer]:
    private, clone = _clone_into_private_directory()
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True, timeout=120)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ENV_DROP and not k.startswith(("COV_CORE", "COVERAGE", "PYTEST", "NOX"))
    }
    env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # activated
    env["VIRTUAL_ENV"] = str(clone / ".venv")
    person = Newcomer(clone, env)
    try:
        yield person
    finally:
        if (person.bin / "invoke").exists():  # whatever still runs, and the shared-cache home
            person.run(str(person.bin / "invoke"), "reset", "--yes", timeout=180, shown=False)
        shutil.rmtree(private, ignore_errors=True)
        print("newcomer timings (s):", person.timings)


def _secrets(clone: Path) -> list[str]:
    """The passwords in the stack's full URLs (`.netra/.env`, the only place that has them)."""
    found = []
    for line in (clone / ".netra" / ".env").read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            password = urlsplit(value.strip("'\"")).password
            if password:
                found.append(password)
    return found


def _serve_against_the_stack(person: Newcomer, port: int) -> str:
    """`invoke serve --port N` until its /health passes, then Ctrl-C; what it printed."""
    proc = subprocess.Popen(
        [str(person.bin / "invoke"), "serve", "--port", str(port)],
        cwd=person.clone, env=person.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while fetch_health(f"http://127.0.0.1:{port}/health").get("status") != "pass":
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "invoke serve: /health never passed"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    person.seen.append((f"invoke serve --port {port}", output))
    return output


def test_a_fresh_clone_in_a_private_directory_gets_a_ready_stack_and_every_message_is_clean(
    newcomer: Newcomer,
) -> None:
    assert stat.S_IMODE(newcomer.clone.parent.stat().st_mode) == 0o700
    python = str(newcomer.bin / "python")
    for command in README_INSTALLS:  # the README's two install commands, as written
        assert command in (newcomer.clone / "README.md").read_text(encoding="utf-8")
        extras = command.split('"')[1]
        done = newcomer.run(python, "-m", "pip", "install", "-q", "-e", extras, timeout=900)
        newcomer.seen.pop()  # pip's own output is pip's
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    backend_port, serve_port = free_port(), free_port()
    dev = newcomer.invoke("dev", "--detach", "--port", str(backend_port))
    assert dev.returncode == 0, dev.stdout + dev.stderr
    assert "ready: /health passes" in dev.stdout  # ready is ready, ClickHouse included
    env_file = newcomer.clone / ".netra" / ".env"
    assert "full URLs, passwords included: .netra/.env (mode 0600)" in dev.stdout
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    masked = re.search(r"^DATABASE_URL\s+(\S+)$", dev.stdout, re.MULTILINE)
    assert masked and ":***@" in masked.group(1)  # one copyable line, password masked
    state = json.loads((newcomer.clone / ".netra" / "state.json").read_text(encoding="utf-8"))
    assert state["health"] == "pass"
    if is_root():  # root anywhere: PostgreSQL runs from the shared cache, not the private venv
        import psutil

        postgres_pid = next(p["pid"] for p in state["processes"] if p["name"] == "postgres")
        cache = Path(newcomer.env["NETRA_SHARED_CACHE"]).resolve()
        assert Path(psutil.Process(postgres_pid).exe()).resolve().is_relative_to(cache)
        assert Path(state["postgres"]["data_dir"]).resolve().is_relative_to(cache)

    served = _serve_against_the_stack(newcomer, serve_port)
    assert (
        served.splitlines()[0] == "serving with the running local stack's URLs (.netra/state.json)"
    )

    health = newcomer.invoke("health")
    assert health.returncode == 0, health.stdout + health.stderr
    assert (
        health.stdout.splitlines()[0]
        == "health: pass - the running local stack (.netra/state.json)"
    )
    table = [line for line in health.stdout.splitlines() if "://" not in line]  # paths apart
    assert max(len(line) for line in table) <= 80

    logs = newcomer.invoke("logs", "--no-follow")
    assert logs.returncode == 0, logs.stderr
    assert "launcher | backend |" not in logs.stdout  # each line once
    assert "backend  | " in logs.stdout and "launcher | ready" in logs.stdout

    down = newcomer.invoke("down")
    assert down.returncode == 0, down.stderr
    assert "stopped its stack" in down.stdout
    assert all(port_is_free(int(port)) for port in state["ports"].values())

    secrets = _secrets(newcomer.clone)
    assert secrets, "the stack's URLs carry passwords"
    for command, output in newcomer.seen:
        for line in output.splitlines():
            assert not EXCEPTION_REPR.search(line), f"{command}: exception repr in {line!r}"
            assert not any(s in line for s in secrets), f"{command}: a secret in {line!r}"

    smoke = newcomer.run(  # `nox -s tests`; --no-venv names it without its Python version
        str(newcomer.bin / "nox"), "-s", "tests", "--no-venv", "--no-install", "--",
        *SMOKE, "--no-cov", "-q", "-p", "no:cacheprovider", timeout=600, shown=False,
        NETRA_REQUIRE_SERVICES="1",
    )  # fmt: skip
    assert smoke.returncode == 0, smoke.stdout[-4000:] + smoke.stderr[-2000:]
    assert re.search(r"\d+ passed", smoke.stdout)
    if is_root():  # the check run as `nobody` works from a private clone too
        assert " skipped" not in smoke.stdout, smoke.stdout[-2000:]
