"""The image cache: one tar per stand-in (`docker save`), named by the key of its inputs.

It lives outside any throwaway dockerd's data root (default /var/cache/netra-ci-images, root's,
0755), so a fresh engine gets a stand-in by loading a tar instead of building it again.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_devtools.images.errors import ImageError

DEFAULT_CACHE_DIR = Path("/var/cache/netra-ci-images")
CACHE_ENV = "NETRA_IMAGE_CACHE"
_KEY_CHARS = 16


def default_cache_dir() -> Path:
    """NETRA_IMAGE_CACHE, else /var/cache/netra-ci-images."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR)


def image_id_in(archive: Path) -> str:
    """The image id (`sha256:...`) a `docker save` tar holds: its config's digest."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise ValueError(f"{archive}: no manifest.json")
        manifest = json.load(member)
    config: str = manifest[0]["Config"]
    return "sha256:" + config.removeprefix("blobs/sha256/").removesuffix(".json")


def engine_image_id(client: Any, tag: str) -> str | None:
    """The id of `tag` in the engine, or None when it has no such image."""
    import docker.errors

    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


@dataclass(frozen=True)
class ImageCache:
    """The cache directory and the tars in it."""

    root: Path

    def tar_for(self, name: str, key: str) -> Path:
        """Where the tar of stand-in `name` built from inputs `key` lives."""
        return self.root / f"{name}-{key[:_KEY_CHARS]}.tar"

    def prepare(self) -> None:
        """Create the cache directory (0755: readable by all, written by root)."""
        if not self.root.is_dir():
            self.root.mkdir(parents=True)
            os.chmod(self.root, 0o755)  # whatever the umask: readers need not be root

    def work_dir(self, name: str) -> Path:
        """A scratch directory on the cache's filesystem (the caller removes it)."""
        self.prepare()
        return Path(tempfile.mkdtemp(prefix=f".work-{name}-", dir=self.root))

    def store(self, client: Any, tag: str, name: str, key: str) -> Path:
        """`docker save` the image `tag` as the tar for (name, key); older tars of name go."""
        self.prepare()
        final = self.tar_for(name, key)
        handle, partial = tempfile.mkstemp(prefix=f".{name}-", suffix=".partial", dir=self.root)
        with os.fdopen(handle, "wb") as out:
            for chunk in client.api.get_image(tag):  # saved by this name: the tar tags it so
                out.write(chunk)
        os.chmod(partial, 0o644)
        os.replace(partial, final)  # a reader never sees half a tar
        for old in self.root.glob(f"{name}-*.tar"):
            if old != final:
                old.unlink()
        return final

    def load(self, client: Any, tag: str, archive: Path) -> bool:
        """Load `archive` unless the engine already has `tag` as that very image; True if loaded."""
        wanted = image_id_in(archive)
        if engine_image_id(client, tag) == wanted:
            return False
        with open(archive, "rb") as data:
            client.images.load(data)
        if engine_image_id(client, tag) != wanted:
            raise ImageError(f"loading {archive} did not give {tag} ({wanted[:19]})")
        return True
