"""The shared Debian rootfs: debootstrap, trimmed, imported as the python:3.11-slim stand-in.

The postgres and clickhouse stand-ins are built on it, so one rootfs serves all three. It behaves
like the official python image where our Dockerfile relies on it: `python` and `pip` on PATH, and
pip may install into the system interpreter (Debian's EXTERNALLY-MANAGED marker is removed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from netra_devtools.images.errors import ImageBuildError, ToolMissing

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT_S = 1800
TAR_TIMEOUT_S = 600
IMPORT_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
]
# what apt leaves behind that an image does not need (the lists come back with `apt-get update`)
_TRIM = ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*")


def packages(recipe: Path) -> list[str]:
    """The packages listed in the recipe's packages.txt (comments and blank lines skipped)."""
    lines = (recipe / "packages.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def debootstrap(target: Path, include: list[str]) -> None:
    """A minbase Debian rootfs in `target` with `include` installed (about a minute here)."""
    tool = shutil.which("debootstrap")
    if tool is None:
        raise ToolMissing("debootstrap not installed (Debian: apt-get install debootstrap)")
    argv = [tool, "--variant=minbase", f"--include={','.join(include)}", SUITE, str(target), MIRROR]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=DEBOOTSTRAP_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ImageBuildError(f"debootstrap failed ({done.returncode}): {' | '.join(tail)}")


def trim(rootfs: Path) -> None:
    """Drop apt's caches and lists, and let pip install into the system Python (as upstream)."""
    for pattern in (*_TRIM, "usr/lib/python3*/EXTERNALLY-MANAGED"):
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.name != "lock":
                path.unlink()


def tar_rootfs(rootfs: Path, dest: Path) -> Path:
    """`dest`: a tar of the rootfs with numeric owners (GNU tar keeps devices and xattrs right)."""
    argv = ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(dest), "."]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TAR_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise ImageBuildError(f"tar of {rootfs} failed: {done.stderr.strip()[:200]}")
    return dest


def build_python_image(client: Any, tag: str, recipe: Path, work: Path) -> None:
    """debootstrap the recipe's packages into `work`, trim, and import the result as `tag`."""
    rootfs = work / "rootfs"
    debootstrap(rootfs, packages(recipe))
    trim(rootfs)
    archive = tar_rootfs(rootfs, work / "rootfs.tar")
    shutil.rmtree(rootfs)
    repository, _, version = tag.rpartition(":")
    client.api.import_image_from_file(
        str(archive), repository=repository, tag=version, changes=IMPORT_CHANGES
    )
