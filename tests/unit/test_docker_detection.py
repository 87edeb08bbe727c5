"""Docker engine detection against real sockets: missing, refusing, wrong answers, contexts."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_devtools.compat import WINDOWS, is_root
from netra_devtools.docker import EngineNotFound, candidates, detect, probe
from tests.support.skips import by_design

pytestmark = by_design(WINDOWS, "unix sockets")


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short temp dir: unix socket paths are limited to ~100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="nd-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _serve(path: Path, reply: bytes) -> threading.Thread:
    """A real unix-socket HTTP server that answers every request with `reply`, once each."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    server.settimeout(10)

    def loop() -> None:
        with server:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(4096)
                    conn.sendall(reply)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


PONG = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nApi-Version: 1.45\r\n\r\nOK"


def _no_defaults(home: Path) -> dict[str, str]:
    return {"XDG_RUNTIME_DIR": str(home / "run")}


def test_docker_host_unix_socket_missing_is_reported(short_dir: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{short_dir}/absent.sock", **_no_defaults(short_dir)}
    with pytest.raises(EngineNotFound) as caught:
        detect(env, short_dir, windows=False)
    first = caught.value.detection.attempts[0]
    assert first.candidate.origin == "DOCKER_HOST"
    assert first.error == "missing socket"
    assert f"DOCKER_HOST: unix://{short_dir}/absent.sock: missing socket" in str(caught.value)


def test_socket_file_without_listener_is_refused(short_dir: Path) -> None:
    path = short_dir / "dead.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening: connect is refused
    try:
        assert probe(f"unix://{path}", 2).startswith("refused")
    finally:
        dead.close()


def test_endpoint_that_is_not_an_engine_is_reported(short_dir: Path) -> None:
    path = short_dir / "web.sock"
    _serve(path, b"HTTP/1.0 404 Not Found\r\n\r\nnope")
    assert probe(f"unix://{path}", 2) == "not answering /_ping (got 'HTTP/1.0 404 Not Found')"


@by_design(is_root(), "root bypasses socket permissions")
def test_socket_without_permission_is_reported(short_dir: Path) -> None:
    path = short_dir / "locked.sock"
    _serve(path, PONG)
    path.chmod(0)
    assert probe(f"unix://{path}", 2).startswith("permission denied")


def test_docker_host_wins_and_stops_the_search(short_dir: Path) -> None:
    path = short_dir / "engine.sock"
    _serve(path, PONG)
    detection = detect({"DOCKER_HOST": f"unix://{path}"}, short_dir, windows=False)
    assert detection.url == f"unix://{path}"
    assert len(detection.attempts) == 1


def _write_context(config: Path, name: str, host: str, *, current: bool = True) -> None:
    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}})
    )
    if current:
        (config / "config.json").write_text(json.dumps({"currentContext": name}))


def test_current_context_from_docker_config_is_used(short_dir: Path) -> None:
    path = short_dir / "ctx.sock"
    _serve(path, PONG)
    config = short_dir / "cfg"
    _write_context(config, "desktop-linux", f"unix://{path}")
    detection = detect({"DOCKER_CONFIG": str(config)}, short_dir / "home", windows=False)
    assert detection.url == f"unix://{path}"
    assert detection.attempts[0].candidate.origin == "context desktop-linux"


def test_docker_context_env_overrides_config_file(short_dir: Path) -> None:
    config = short_dir / "cfg"
    _write_context(config, "stale", f"unix://{short_dir}/stale.sock")
    _write_context(config, "other", f"unix://{short_dir}/other.sock", current=False)
    env = {"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "other"}
    found = candidates(env, short_dir, windows=False)
    assert found[0].url == f"unix://{short_dir}/other.sock"  # type: ignore[union-attr]


def test_broken_context_is_reported_then_defaults_are_tried(short_dir: Path) -> None:
    config = short_dir / "cfg"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"currentContext": "gone"}))
    with pytest.raises(EngineNotFound) as caught:
        detect({"DOCKER_CONFIG": str(config), **_no_defaults(short_dir)}, short_dir, windows=False)
    attempts = caught.value.detection.attempts
    assert attempts[0].error.startswith("context 'gone': no ")
    assert [a.candidate.url for a in attempts[1:3]] == [
        "unix:///var/run/docker.sock",
        f"unix://{short_dir}/.docker/run/docker.sock",
    ]


def test_platform_defaults_cover_desktop_podman_colima_and_windows_pipes(short_dir: Path) -> None:
    posix = [
        c.url for c in candidates({"XDG_RUNTIME_DIR": "/run/user/7"}, short_dir, windows=False)
    ]
    assert posix == [
        "unix:///var/run/docker.sock",
        f"unix://{short_dir}/.docker/run/docker.sock",
        f"unix://{short_dir}/.docker/desktop/docker.sock",
        "unix:///run/user/7/docker.sock",
        "unix:///run/user/7/podman/podman.sock",
        "unix:///run/podman/podman.sock",
        f"unix://{short_dir}/.colima/default/docker.sock",
    ]
    windows = [c.url for c in candidates({}, short_dir, windows=True)]
    assert windows[:2] == [
        "npipe:////./pipe/dockerDesktopLinuxEngine",
        "npipe:////./pipe/docker_engine",
    ]


def test_named_pipe_off_windows_and_unknown_schemes_are_reported_cleanly() -> None:
    assert probe("npipe:////./pipe/docker_engine") == "named pipes exist only on Windows"
    assert probe("ssh://me@host") == "scheme 'ssh' not probed without the docker CLI"


def test_tcp_port_with_nothing_listening_is_refused() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    assert probe(f"tcp://127.0.0.1:{port}", 2).startswith("refused")


def test_password_in_docker_host_is_masked_in_the_report(short_dir: Path) -> None:
    with pytest.raises(EngineNotFound) as caught:
        detect({"DOCKER_HOST": "tcp://me:hunter2@127.0.0.1:1"}, short_dir, windows=False, timeout=1)
    assert "hunter2" not in str(caught.value)
