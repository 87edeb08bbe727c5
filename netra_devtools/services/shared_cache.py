"""A root-owned cache that an unprivileged user can reach, for what root must hand over to it.

As root, PostgreSQL runs as an unprivileged user, which cannot traverse root's private
directories: a clone in `mktemp -d` (0700), a venv under /root. Rather than loosening those, what
that user needs is put here: copies of PostgreSQL binaries from a private venv, and the homes of
clusters whose state directory it cannot reach. The cache is NETRA_SHARED_CACHE, else
/var/tmp/netra-devtools (it survives reboots, as local-mode data must); it is 0755, owned by us,
and refused when anyone else could write to it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from netra_devtools.errors import NetraDevtoolsError

assert sys.platform != "win32"  # POSIX only (root handing over to a user): used by _pg_posix

DEFAULT_CACHE = Path("/var/tmp/netra-devtools")
CHECKSUM_FILE = ".netra-tree.sha256"


class UnsafeCache(NetraDevtoolsError, RuntimeError):
    """The shared cache is writable by someone else: what it holds could not be trusted."""


def cache_root() -> Path:
    """The cache directory, created 0755 on first use and checked to be ours alone."""
    root = Path(os.environ.get("NETRA_SHARED_CACHE") or DEFAULT_CACHE)
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    info = root.stat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise UnsafeCache(
            f"{root} must be owned by uid {os.geteuid()} and writable by nobody else "
            f"(it is uid {info.st_uid}, mode {info.st_mode & 0o777:o}); fix it or set "
            "NETRA_SHARED_CACHE to another directory"
        )
    return root


def _files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*") if p.name != CHECKSUM_FILE and not p.is_dir())


def _manifest_key(base: Path, parts: Sequence[Path]) -> str:
    """A cheap key from names, sizes and times: a changed source gets a new cache entry."""
    digest = hashlib.sha256()
    for part in parts:
        for path in _files(base / part):
            info = path.lstat()
            name = path.relative_to(base)
            digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def tree_checksum(tree: Path) -> str:
    """sha256 over every file's relative path and content (a link's target, not its file)."""
    digest = hashlib.sha256()
    for path in _files(tree):
        digest.update(str(path.relative_to(tree)).encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        else:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        digest.update(b"\n")
    return digest.hexdigest()


def _open_to_all(tree: Path) -> None:
    """Directories 0755, files readable by all, executables executable by all."""
    tree.chmod(0o755)
    for path in tree.rglob("*"):
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o777
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(mode | 0o044 | (0o011 if mode & 0o100 else 0))


@functools.cache
def _verified(target: Path) -> bool:
    recorded = (target / CHECKSUM_FILE).read_text(encoding="utf-8").strip()
    return recorded == tree_checksum(target)


def stage_tree(base: Path, parts: Sequence[Path], name: str) -> Path:
    """A reachable copy of `parts` (paths relative to `base`, kept relative to each other so that
    `$ORIGIN`-relative library paths still resolve), made once per version, checksum-verified."""
    target = cache_root() / f"{name}-{_manifest_key(base, parts)}"
    if target.is_dir() and (target / CHECKSUM_FILE).is_file():
        if _verified(target):
            return target
        shutil.rmtree(target)  # damaged: copy again rather than run what it holds
        _verified.cache_clear()
    staging = cache_root() / f".staging-{name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for part in parts:
        shutil.copytree(base / part, staging / part, symlinks=True)
    _open_to_all(staging)
    (staging / CHECKSUM_FILE).write_text(tree_checksum(staging) + "\n", encoding="utf-8")
    try:
        staging.rename(target)
    except OSError:  # another process staged the same version first: use theirs
        shutil.rmtree(staging, ignore_errors=True)
    return target


def home_for(path: Path, name: str) -> Path:
    """A directory in the cache standing in for `path` (keyed by its absolute path)."""
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    home = cache_root() / "homes" / f"{name}-{key}"
    home.mkdir(mode=0o755, parents=True, exist_ok=True)
    (cache_root() / "homes").chmod(0o755)
    return home
