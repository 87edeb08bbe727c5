"""The backend image: built here with no registry, the backend alone, non-root, with a healthcheck."""

from __future__ import annotations

import json
from typing import Any

import pytest

from netra_devtools.launcher.compose import ComposeProject, required_images
from tests.compose.stack import COMPOSE_FILE
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(900)

MAX_OVER_BASE_MB = 300
RUNTIME = {"fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg2-binary", "clickhouse-connect"}
TOOLING = {"netra-devtools", "invoke", "rich", "nox", "pytest", "psutil", "docker", "google-re2"}
INSIDE = (
    "import importlib.metadata as m, importlib.util as u, json, os; print(json.dumps({"
    "'dists': sorted({d.metadata['Name'].lower() for d in m.distributions()}), "
    "'devtools': u.find_spec('netra_devtools') is not None, 'uid': os.getuid()}))"
)


def test_backend_image_carries_the_backend_alone_as_non_root_with_a_healthcheck(
    backend_image: str, compose_engine: str, docker_client: Any, record_property: Any
) -> None:
    image = docker_client.images.get(backend_image)
    config = image.attrs["Config"]
    assert config["User"] == "netra"
    assert "/health/ready" in " ".join(config["Healthcheck"]["Test"])

    project = ComposeProject(COMPOSE_FILE, env={"DOCKER_HOST": compose_engine})
    base_name = required_images(project.config(), REPO_ROOT)["backend"][0]
    over_mb = (image.attrs["Size"] - docker_client.images.get(base_name).attrs["Size"]) / 2**20
    record_property("backend_image_mb_over_base", round(over_mb, 1))
    assert over_mb < MAX_OVER_BASE_MB, f"{over_mb:.0f} MB over {base_name}"

    out = docker_client.containers.run(
        backend_image, ["python", "-c", INSIDE], network_mode="none", remove=True
    )
    inside = json.loads(out)
    assert inside["uid"] != 0
    assert RUNTIME <= set(inside["dists"])
    assert not TOOLING & set(inside["dists"])
    assert inside["devtools"] is False
