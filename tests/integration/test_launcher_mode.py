"""Mode choice against a real engine: compose only when the engine answers and every image is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_devtools.errors import StackError
from netra_devtools.launcher.run import COMPOSE_FILE, UpOptions, choose_mode


def _opts(tmp_path: Path, **kwargs: object) -> UpOptions:
    return UpOptions(root=tmp_path / ".netra", **kwargs)  # type: ignore[arg-type]


def test_auto_picks_local_and_names_the_images_it_cannot_get(
    tmp_path: Path, docker_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    mode, why, client = choose_mode(_opts(tmp_path, compose_file=COMPOSE_FILE))
    assert mode == "local" and client is None
    assert why.startswith("compose mode skipped: images neither present nor pullable")
    assert "postgres:16-alpine" in why and "python:3.11-slim" in why
    assert "clickhouse" not in why  # the `full` profile was not asked for
    assert "\n" not in why


def test_compose_demanded_without_images_fails_with_the_reason(
    tmp_path: Path, docker_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    with pytest.raises(StackError, match="compose mode unavailable: images neither present"):
        choose_mode(_opts(tmp_path, mode="compose", profiles=["full"]))


def test_auto_picks_compose_when_every_image_is_present(
    tmp_path: Path, docker_host: str, busybox_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text(
        f"services:\n  only:\n    image: {busybox_image}\n    command: [sleep, '60']\n",
        encoding="utf-8",
    )
    mode, why, client = choose_mode(_opts(tmp_path, compose_file=compose_file))
    assert mode == "compose", why
    assert client is not None


def test_auto_picks_local_when_no_engine_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = f"unix://{tmp_path}/no-such-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", missing)
    mode, why, _ = choose_mode(_opts(tmp_path))
    assert (mode, why) == (
        "local",
        f"compose mode skipped: no Docker engine reachable at {missing}",
    )


def test_local_requested_never_asks_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")  # would hang if probed
    assert choose_mode(_opts(tmp_path, mode="local"))[:2] == (
        "local",
        "requested with --mode local",
    )


def test_a_backend_image_built_before_does_not_need_its_base_image(
    tmp_path: Path,
    docker_host: str,
    docker_client: object,
    busybox_image: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    image = docker_client.images.get(busybox_image)  # type: ignore[attr-defined]
    image.tag("netra-backend", "dev")
    try:
        mode, why, _ = choose_mode(_opts(tmp_path, compose_file=COMPOSE_FILE))
    finally:
        docker_client.images.remove("netra-backend:dev")  # type: ignore[attr-defined]
    assert mode == "local"
    assert why.endswith("(no registry?): postgres:16-alpine")


def test_up_in_compose_mode_detached_records_the_project_and_down_removes_it(
    tmp_path: Path,
    docker_host: str,
    docker_client: object,
    busybox_image: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import uuid

    from rich.console import Console

    from netra_devtools.launcher import control, run
    from netra_devtools.state import load_state

    monkeypatch.setenv("DOCKER_HOST", docker_host)
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text(
        f"services:\n  web:\n    image: {busybox_image}\n"
        "    command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]\n",
        encoding="utf-8",
    )
    opts = _opts(
        tmp_path, compose_file=compose_file, detach=True, project=f"nt{uuid.uuid4().hex[:8]}"
    )
    out = Console(file=io.StringIO(), width=200, record=True)
    try:
        assert run.up(opts, out) == 0
        text = out.export_text()
        assert "mode        compose     Docker engine reachable" in text
        assert load_state(opts.root)["compose"]["project"] == opts.project
        with pytest.raises(StackError, match=f"compose project {opts.project} is recorded"):
            run.up(opts, out)
    finally:
        assert control.down(opts.root) == [f"compose project {opts.project} taken down"]
    labels = {"label": f"com.docker.compose.project={opts.project}"}
    assert docker_client.containers.list(all=True, filters=labels) == []  # type: ignore[attr-defined]
