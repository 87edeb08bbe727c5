"""Get each stand-in into an engine: load its cached tar, or build it, cache it, and keep it.

Order matters: a stand-in is built on its parent (the shared Debian rootfs), so parents come
first. Building needs root (debootstrap) and, for the postgres stand-in, Debian's package mirror
(`docker build` with host networking: containers on a bridge have no route out here).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_devtools.images import chdb_layer, rootfs
from netra_devtools.images.cache import ImageCache, engine_image_id
from netra_devtools.images.errors import ImageBuildError, NotCached
from netra_devtools.images.recipes import BY_NAME, StandIn, input_keys, with_parents

BUILD_LOG_TAIL = 5


@dataclass
class Outcome:
    """What happened to one stand-in: `present`, `loaded` or `built` (then cached)."""

    name: str
    tag: str
    key: str
    action: str
    seconds: float
    archive: str


def dockerfile_build(
    client: Any, context: Path, tag: str, *, base: str, network_mode: str | None = None
) -> None:
    """`docker build` of `context` as `tag`, FROM `base` (the ARG BASE of our recipes)."""
    tail: list[str] = []
    stream = client.api.build(
        path=str(context),
        tag=tag,
        buildargs={"BASE": base},
        network_mode=network_mode,
        rm=True,
        forcerm=True,
        decode=True,
    )
    for event in stream:
        if "error" in event:
            raise ImageBuildError(f"build of {tag} failed: {event['error'].strip()} | {tail}")
        line = str(event.get("stream", "")).strip()
        if line:
            tail = [*tail, line][-BUILD_LOG_TAIL:]
    if engine_image_id(client, tag) is None:
        raise ImageBuildError(f"build of {tag} produced no image: {' | '.join(tail)}")


def build_one(client: Any, cache: ImageCache, standin: StandIn) -> None:
    """Build `standin` in the engine (its parent must be there already)."""
    base = BY_NAME[standin.parent].tag if standin.parent else ""
    if standin.name == "python":
        work = cache.work_dir(standin.name)
        try:
            rootfs.build_python_image(client, standin.tag, standin.recipe, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif standin.name == "clickhouse":
        work = cache.work_dir(standin.name)
        try:
            context = chdb_layer.build_layer(standin.recipe, work)
            dockerfile_build(client, context, standin.tag, base=base)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:  # a plain recipe: its Dockerfile installs Debian packages from the mirror
        dockerfile_build(client, standin.recipe, standin.tag, base=base, network_mode="host")


def ensure(
    client: Any,
    cache: ImageCache,
    names: Iterable[str],
    *,
    build: bool = True,
    on_start: Callable[[StandIn, str], None] | None = None,
) -> list[Outcome]:
    """Each named stand-in (and its parent) in the engine, from the cache or built; in order."""
    keys = input_keys()
    outcomes = []
    for standin in with_parents(names):
        started = time.monotonic()
        key = keys[standin.name]
        archive = cache.tar_for(standin.name, key)
        if archive.is_file():
            if on_start:
                on_start(standin, "loading")
            action = "loaded" if cache.load(client, standin.tag, archive) else "present"
        elif not build:
            raise NotCached(f"{standin.tag}: no cached tar for its inputs ({archive})")
        else:
            if on_start:
                on_start(standin, "building")
            build_one(client, cache, standin)
            cache.store(client, standin.tag, standin.name, key)
            action = "built"
        elapsed = time.monotonic() - started
        outcomes.append(
            Outcome(standin.name, standin.tag, key, action, round(elapsed, 1), str(archive))
        )
    return outcomes


def status(client: Any | None, cache: ImageCache) -> list[dict[str, Any]]:
    """Per stand-in: tag, key, whether its tar is cached and the engine has it; builds nothing."""
    from netra_devtools.images.cache import image_id_in

    rows = []
    for name, key in input_keys().items():
        standin = BY_NAME[name]
        archive = cache.tar_for(name, key)
        cached = archive.is_file()
        loaded = None
        if client is not None and cached:
            loaded = engine_image_id(client, standin.tag) == image_id_in(archive)
        rows.append(
            {
                "name": name,
                "tag": standin.tag,
                "env": standin.env,
                "key": key[:16],
                "cached": cached,
                "archive": str(archive),
                "loaded": loaded,
            }
        )
    return rows
