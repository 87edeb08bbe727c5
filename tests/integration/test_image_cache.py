"""The stand-in image cache against a real engine: save a tar, load it into an engine that lacks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netra_devtools.images.cache import ImageCache, engine_image_id, image_id_in


def test_a_stored_image_loads_back_only_where_it_is_missing(
    docker_client: Any, busybox_image: str, tmp_path: Path
) -> None:
    tag = "netra-test-cache/busybox:1"
    docker_client.images.get(busybox_image).tag("netra-test-cache/busybox", "1")
    cache = ImageCache(tmp_path / "cache")
    try:
        old = cache.store(docker_client, tag, "busybox", "0" * 64)
        archive = cache.store(docker_client, tag, "busybox", "1" * 64)
        assert not old.exists()  # one tar per image: the older inputs' tar is gone
        assert sorted(p.name for p in cache.root.iterdir()) == [archive.name]
        assert (cache.root.stat().st_mode & 0o777, archive.stat().st_mode & 0o777) == (0o755, 0o644)
        assert image_id_in(archive) == engine_image_id(docker_client, tag)

        assert cache.load(docker_client, tag, archive) is False  # already there: nothing to do
        docker_client.images.remove(tag)
        assert engine_image_id(docker_client, tag) is None
        assert cache.load(docker_client, tag, archive) is True
        assert engine_image_id(docker_client, tag) == image_id_in(archive)
    finally:
        docker_client.images.remove(tag, force=True)
