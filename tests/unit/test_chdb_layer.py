"""The clickhouse stand-in's layer carries its HTTP bridge whole: importable with no netra_devtools
installed (the image has none), every file it carries part of the image's key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netra_devtools.images.chdb_layer import place_bridge
from netra_devtools.images.recipes import BRIDGE_FILES, BY_NAME

# -I: no PYTHONPATH, no script directory; -S: no site-packages (so no netra_devtools of ours)
IMPORT_ALONE = "import sys; sys.path.insert(0, sys.argv[1]); import clickhouse_http"


def test_the_bridge_imports_from_the_layer_alone(tmp_path: Path) -> None:
    place_bridge(tmp_path)
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_ALONE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_every_bridge_file_is_an_input_of_the_clickhouse_key() -> None:
    inputs = {path for _, path in BY_NAME["clickhouse"].inputs()}
    assert set(BRIDGE_FILES.values()) <= inputs
