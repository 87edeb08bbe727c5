"""The test Docker engine and the registry-free busybox image."""

from __future__ import annotations


def test_busybox_container_runs_and_prints(docker_client, busybox_image) -> None:
    output = docker_client.containers.run(
        busybox_image, ["sh", "-c", "echo hello-from-busybox"], remove=True
    )
    assert output.strip() == b"hello-from-busybox"
