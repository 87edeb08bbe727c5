"""Docker's port proxy as the holder: the container that publishes the port is named."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from netra_devtools.ports import diagnose, free
from netra_devtools.ports._docker import container_for_port
from tests.support.skips import service_missing


@pytest.fixture
def published_container(
    docker_client: Any, busybox_image: str, docker_host: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, int]]:
    """A busybox container publishing port 80 on a free host port (a user-defined bridge:
    the test engine runs without the default bridge)."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    network = docker_client.networks.create(f"netra-ports-{uuid.uuid4().hex[:8]}", driver="bridge")
    container = None
    try:
        container = docker_client.containers.run(
            busybox_image, ["sleep", "120"], detach=True, network=network.name,
            ports={"80/tcp": ("127.0.0.1", port)},
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while diagnose(port).bindable and time.monotonic() < deadline:
            time.sleep(0.1)
        yield container, port
    finally:
        if container is not None:
            container.remove(force=True)
        network.remove()


def test_docker_proxy_holder_names_the_container(published_container: tuple[Any, int]) -> None:
    container, port = published_container
    diag = diagnose(port)
    proxies = [h for h in diag.holders if h.name == "docker-proxy"]
    if not proxies:
        service_missing("docker-proxy: this engine publishes ports without the userland proxy")
    assert proxies[0].container is not None
    assert proxies[0].container["name"] == container.name
    assert proxies[0].container["container_port"] == "80/tcp"
    assert any(f.argv == ["docker", "stop", container.name] for f in diag.fixes)


def test_free_never_kills_the_docker_proxy(published_container: tuple[Any, int]) -> None:
    container, port = published_container
    report = free(port, force=True)
    assert not report.freed
    assert report.actions and all(a.outcome == "skipped" for a in report.actions)
    assert f"docker stop {container.name}" in report.actions[0].detail
    container.reload()
    assert container.status == "running"


def test_container_lookup_without_an_engine_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    started = time.monotonic()
    assert container_for_port(8000) is None
    assert time.monotonic() - started < 5
