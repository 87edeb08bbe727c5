"""Docker's port proxy holds a published port: name the container behind it (best effort)."""

from __future__ import annotations

from typing import Any


def proxy_target(cmdline: list[str]) -> dict[str, str]:
    """`-container-ip`/`-container-port` from a docker-proxy command line."""
    wanted = {"-container-ip": "container_ip", "-container-port": "container_port"}
    found = {}
    for flag, value in zip(cmdline, cmdline[1:], strict=False):
        if flag in wanted:
            found[wanted[flag]] = value
    return found


def container_for_port(port: int, *, timeout: int = 3) -> dict[str, Any] | None:
    """The running container publishing host `port`, via the Docker SDK; None if unknown.

    Never raises: no SDK, no engine, a slow engine or odd data all mean "not known".
    """
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        try:
            for container in client.containers.list():
                ports = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
                for container_port, bindings in ports.items():
                    for binding in bindings or []:
                        if str(binding.get("HostPort")) == str(port):
                            return {
                                "id": container.short_id,
                                "name": container.name,
                                "image": (container.attrs.get("Config") or {}).get("Image", ""),
                                "container_port": container_port,
                            }
        finally:
            client.close()
    except Exception:  # best effort by contract: the diagnosis must not fail on Docker
        return None
    return None
