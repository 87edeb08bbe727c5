"""The clickhouse stand-in's one added layer: chdb, clickhouse-connect and the HTTP bridge.

pip on the host (which reaches the package index; containers here cannot) installs the pinned
wheels for the image's Python into /opt/netra-clickhouse/site-packages; the bridge and the entry
point sit beside them; /var/lib/clickhouse belongs to the unprivileged user the image runs as.
One `ADD layer.tar /` puts it all in the image, with no wheel left behind in a lower layer.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from netra_devtools.images.host_pip import host_pip
from netra_devtools.images.recipes import BRIDGE_FILES

PREFIX = "opt/netra-clickhouse"
DATA_DIR = "var/lib/clickhouse"
SERVER_UID = 101  # the official image's clickhouse user


def install_wheels(requirements: Path, target: Path) -> None:
    """pip-install the pinned requirements (no dependencies of their own) into `target`."""
    host_pip(
        "install", "--no-deps", "--target", str(target), "-r", str(requirements),
        what="the clickhouse stand-in",
    )  # fmt: skip


def place_bridge(target: Path) -> None:
    """The HTTP bridge and what it imports of netra_devtools, importable from `target`."""
    for name, source in BRIDGE_FILES.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


def _owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """root owns the code; the server's user owns its data directory."""
    uid = SERVER_UID if info.name.startswith(DATA_DIR) else 0
    info.uid = info.gid = uid
    info.uname = info.gname = ""
    return info


def build_layer(recipe: Path, work: Path) -> Path:
    """work/context/layer.tar, ready for the recipe's `ADD layer.tar /`."""
    tree = work / "layer"
    install_wheels(recipe / "requirements.txt", tree / PREFIX / "site-packages")
    shutil.copy2(recipe / "server.py", tree / PREFIX / "server.py")
    place_bridge(tree / PREFIX)
    (tree / DATA_DIR).mkdir(parents=True)
    context = work / "context"
    context.mkdir()
    layer = context / "layer.tar"
    with tarfile.open(layer, "w") as tar:
        for top in ("opt", "var"):
            tar.add(tree / top, arcname=top, filter=_owner)
    shutil.rmtree(tree)
    shutil.copy2(recipe / "Dockerfile", context / "Dockerfile")
    return context
