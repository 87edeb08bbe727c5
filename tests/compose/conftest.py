"""The compose suite's engine, images and stacks (`nox -s compose`; docs/COMPOSE.md).

The engine is DOCKER_HOST (CI: `.ci/run`'s private dockerd, GitHub: the runner's) or a private
one. The images are the compose file's official ones, or the local stand-ins when NETRA_*_IMAGE
name them (`invoke images --env-file F`, which .ci/run sources): one code path, other image names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from netra_devtools.launcher.compose import ComposeProject, missing_images, required_images
from tests.compose.stack import COMPOSE_FILE, Stack
from tests.conftest import REPO_ROOT, service_missing

BACKEND_IMAGE = "netra-backend:dev"
BUILD_TIMEOUT_S = 1200


def _load_standins(client: Any) -> None:
    """Stand-ins the environment names get loaded from the image cache (never built here)."""
    from netra_devtools.images import build, cache, errors
    from netra_devtools.images.recipes import STANDINS

    named = [s.name for s in STANDINS if os.environ.get(s.env) == s.tag]
    if not named:
        return
    try:
        build.ensure(client, cache.ImageCache(cache.default_cache_dir()), named, build=False)
    except errors.ImageError as exc:
        service_missing(f"stand-in images: {exc}; build them with `invoke images`")


@pytest.fixture(scope="session")
def compose_engine(docker_host: str, docker_client: Any) -> str:
    """The engine, with every image the full profile needs present or pullable."""
    from netra_devtools.launcher.compose import compose_command

    try:
        compose_command()
    except RuntimeError as exc:
        service_missing(f"compose: {exc}")
    _load_standins(docker_client)
    project = ComposeProject(COMPOSE_FILE, profiles=["full"], env={"DOCKER_HOST": docker_host})
    needed = required_images(project.config(), REPO_ROOT, ["full"])
    wanted = sorted({image for images in needed.values() for image in images})
    missing = missing_images(docker_client, wanted)
    if missing:
        service_missing(f"images neither present nor pullable: {missing} (`invoke images`?)")
    return docker_host


@pytest.fixture(scope="session")
def backend_image(compose_engine: str) -> str:
    """netra-backend:dev built from the Dockerfile, as `invoke dev` would (once per session)."""
    project = ComposeProject(COMPOSE_FILE, env={**os.environ, "DOCKER_HOST": compose_engine})
    project.run("build", "backend", timeout=BUILD_TIMEOUT_S)
    return BACKEND_IMAGE


@pytest.fixture
def stack(backend_image: str, compose_engine: str, tmp_path: Any) -> Iterator[Stack]:
    """A project of its own for one test; removed with its volumes afterwards."""
    made = Stack(compose_engine, tmp_path / ".netra")
    try:
        yield made
    finally:
        made.remove()


@pytest.fixture(scope="module")
def full_stack(
    backend_image: str,
    compose_engine: str,
    docker_client: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """`invoke dev --mode compose --profile full --detach`, shared by one module's tests."""
    made = Stack(compose_engine, tmp_path_factory.mktemp("full") / ".netra")
    made.volumes_before = {v.name for v in docker_client.volumes.list()}
    made.started = made.dev("--profile", "full")
    try:
        yield made
    finally:
        made.remove()
