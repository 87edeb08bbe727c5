"""docker-compose.dev.yml: valid for compose v1 and the compose spec, and shaped as issue 8 asks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from netra_devtools.launcher.compose import ComposeProject, active_services, required_images
from tests.conftest import REPO_ROOT, service_missing

COMPOSE_FILE = REPO_ROOT / "docker-compose.dev.yml"


IMAGE_OVERRIDES = ("NETRA_POSTGRES_IMAGE", "NETRA_CLICKHOUSE_IMAGE", "NETRA_PYTHON_IMAGE")


def _compose_config(*global_args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`docker-compose config` with the official images unless `env` names others."""
    legacy = shutil.which("docker-compose")
    if legacy is None:
        service_missing(
            "docker-compose (v1) not installed (Debian: apt-get install docker-compose)"
        )
    done = subprocess.run(
        [legacy, "-f", str(COMPOSE_FILE), *global_args, "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if k not in IMAGE_OVERRIDES}, **(env or {})},
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


def _published(port: Any) -> int:
    """Host port of a v1 short entry ("127.0.0.1:18000:8000/tcp") or a v2 long one (a dict)."""
    if isinstance(port, dict):
        return int(port["published"])
    return int(str(port).split(":")[-2])


def _raw() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))


def test_compose_file_validates_against_the_compose_spec() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_top_level_name_because_compose_v1_rejects_it() -> None:
    assert "name" not in _raw()


def test_clickhouse_only_runs_with_the_full_profile() -> None:
    config = _compose_config()
    assert set(active_services(config)) == {"postgres", "backend"}
    assert set(active_services(config, ["full"])) == {"postgres", "clickhouse", "backend"}
    assert set(required_images(config, REPO_ROOT, [])) == {"postgres", "backend"}


def test_host_ports_follow_the_named_environment_variables() -> None:
    env = {
        "NETRA_BACKEND_PORT": "18000",
        "NETRA_POSTGRES_PORT": "15432",
        "NETRA_CLICKHOUSE_PORT": "18123",
    }
    services = _compose_config("--profile", "full", env=env)["services"]
    published = {name: {_published(p) for p in svc["ports"]} for name, svc in services.items()}
    assert published == {"backend": {18000}, "postgres": {15432}, "clickhouse": {18123}}
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for name in env:
        assert f"\n{name}=" in example


def test_backend_waits_for_healthy_postgres_migrates_then_serves() -> None:
    backend = _raw()["services"]["backend"]
    assert backend["depends_on"]["postgres"]["condition"] == "service_healthy"
    command = " ".join(backend["command"])
    assert command.index("alembic upgrade head") < command.index("python -m netra_backend")
    assert "--host 0.0.0.0" in command
    dockerfile = (REPO_ROOT / backend["build"]["dockerfile"]).read_text(encoding="utf-8")
    assert "HEALTHCHECK" in dockerfile and "/health/ready" in dockerfile  # the image's own
    assert any(v.endswith("/spool") for v in backend["volumes"])


def test_every_service_has_a_healthcheck_and_postgres_keeps_its_data_in_a_named_volume() -> None:
    raw = _raw()
    for name, service in raw["services"].items():
        if "build" in service:  # an image we build carries its own (Dockerfile HEALTHCHECK)
            dockerfile = REPO_ROOT / service["build"]["dockerfile"]
            assert "\nHEALTHCHECK " in dockerfile.read_text(encoding="utf-8"), name
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pg_isready" in " ".join(raw["services"]["postgres"]["healthcheck"]["test"])
    volume = raw["services"]["postgres"]["volumes"][0].split(":")[0]
    assert volume in raw["volumes"]


def test_images_needed_are_the_official_images_and_the_dockerfile_base_by_default() -> None:
    needed = required_images(_compose_config("--profile", "full"), REPO_ROOT)
    assert needed["postgres"] == ["postgres:16-alpine"]
    assert needed["clickhouse"][0].startswith("clickhouse/clickhouse-server")
    assert needed["backend"] == ["python:3.11-slim"]


def test_image_overrides_from_the_environment_replace_every_official_image() -> None:
    env = {
        "NETRA_POSTGRES_IMAGE": "local/pg:1",
        "NETRA_CLICKHOUSE_IMAGE": "local/ch:1",
        "NETRA_PYTHON_IMAGE": "local/py:1",
    }
    config = _compose_config("--profile", "full", env=env)
    assert required_images(config, REPO_ROOT) == {
        "postgres": ["local/pg:1"],
        "clickhouse": ["local/ch:1"],
        "backend": ["local/py:1"],
    }
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for name in env:
        assert f"\n{name}=" in example


def _copied_from_context(dockerfile: str) -> set[str]:
    """The build-context paths the Dockerfile's COPY lines read (not `COPY --from=stage`)."""
    sources = set()
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not words[1].startswith("--from"):
            sources.update(word.rstrip("/") for word in words[1:-1])
    return sources


def test_dockerignore_lets_in_only_what_the_dockerfile_copies() -> None:
    rules = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"  # .venv, .netra, .git, .env, tests and tooling stay out
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert allowed == _copied_from_context(dockerfile)


def test_dockerfile_runs_the_backend_entry_point_as_non_root() -> None:
    text = Path(REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "USER netra" in text
    assert '"-m", "netra_backend"' in text


@pytest.mark.parametrize("command", [["docker", "compose"], ["docker-compose"]], ids=["v2", "v1"])
def test_global_options_come_before_the_subcommand_for_both_compose_generations(
    command: list[str],
) -> None:
    project = ComposeProject(file=COMPOSE_FILE, project="netra", profiles=["full"], command=command)
    args = project.args("up", "-d")
    assert args[: len(command)] == command
    assert args[len(command) :] == [
        "-f",
        str(COMPOSE_FILE),
        "-p",
        "netra",
        "--profile",
        "full",
        "up",
        "-d",
    ]
