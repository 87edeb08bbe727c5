"""A throwaway Docker engine for tests, and images built with no registry (imported rootfs tars).

dockerd runs with its own socket, data root and exec root, and without iptables or a bridge, so
it coexists with any other engine on the machine. Images come from `docker import` of a tar made
from busybox-static: no registry is needed.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_devtools.compat import is_root
from netra_devtools.errors import NetraDevtoolsError

BUSYBOX_IMAGE = "netra-busybox:latest"
START_TIMEOUT_S = 30
_BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
_BUSYBOX_APPLETS = (
    "sh",
    "echo",
    "sleep",
    "cat",
    "printf",
    "nc",
    "true",
    "false",
    "wget",
    "ls",
    "seq",
)


class DockerUnavailable(NetraDevtoolsError, RuntimeError):
    """No Docker engine can be started or reached here; the message says why."""


@dataclass
class DockerDaemon:
    """A dockerd process we started, listening on its own unix socket."""

    host: str
    workdir: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop dockerd (and its containers) and remove its directories."""
        with contextlib.suppress(Exception):
            import docker

            client = docker.DockerClient(base_url=self.host, timeout=10)
            for container in client.containers.list(all=True):
                container.remove(force=True)
            client.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_dockerd() -> DockerDaemon:
    """Start a private dockerd (root only) and wait until it answers."""
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise DockerUnavailable("dockerd not installed (Debian: `apt-get install docker.io`)")
    if not is_root():
        raise DockerUnavailable("starting a private dockerd needs root; set DOCKER_HOST instead")
    workdir = Path(tempfile.mkdtemp(prefix="netra-dockerd-"))
    sock = workdir / "docker.sock"
    log = open(workdir / "dockerd.log", "wb")  # closed when dockerd exits
    process = subprocess.Popen(
        [
            dockerd,
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--storage-driver=vfs",
            "-H",
            f"unix://{sock}",
            "--data-root",
            str(workdir / "data"),
            "--exec-root",
            str(workdir / "exec"),
            "--pidfile",
            str(workdir / "docker.pid"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    daemon = DockerDaemon(host=f"unix://{sock}", workdir=workdir, process=process)
    if not wait_for_engine(daemon.host, START_TIMEOUT_S):
        daemon.stop()
        raise DockerUnavailable(f"dockerd did not answer within {START_TIMEOUT_S}s")
    return daemon


def wait_for_engine(host: str, timeout: float) -> bool:
    """True once the engine at `host` answers a ping."""
    import docker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client = docker.DockerClient(base_url=host, timeout=3)
            try:
                if client.ping():
                    return True
            finally:
                client.close()
        except Exception:  # not up yet: refused, missing socket, API error
            time.sleep(0.2)
    return False


def busybox_rootfs_tar() -> bytes:
    """A minimal rootfs tar: busybox-static with its common applets linked."""
    busybox = next((p for p in _BUSYBOX_CANDIDATES if Path(p).is_file()), None)
    if busybox is None:
        raise DockerUnavailable(
            "busybox-static not installed (Debian: `apt-get install busybox-static`)"
        )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        for applet in _BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
        for directory in ("tmp", "etc", "proc", "sys", "dev"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
    return buffer.getvalue()


def ensure_busybox_image(client: Any, tag: str = BUSYBOX_IMAGE) -> str:
    """Import the busybox rootfs as image `tag` unless it is already there."""
    import docker.errors

    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    repository, _, version = tag.partition(":")
    client.api.import_image_from_data(
        busybox_rootfs_tar(), repository=repository, tag=version or "latest"
    )
    client.images.get(tag)
    return tag
