"""Where the project's files are: the one place that knows the layout.

Run from a checkout (an editable install, or the source tree itself), the files are the
checkout's own. Installed from a wheel, they are the copies the wheel ships under
`netra_devtools/_data/`, laid out as in the checkout and found with importlib.resources; the
build makes them from PACKAGED_FILES (tools/build_package_data.py), so no copy is kept in git.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# the project files the tools read, as paths from the project root: the wheel ships each of them
PACKAGED_FILES = ("SPEC/learnings", "docker-compose.dev.yml", "alembic.ini")
PACKAGED_DIR = "_data"  # inside the netra_devtools package


def _checkout() -> Path | None:
    """The checkout these modules run from, or None when they are installed from a wheel."""
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and all((root / f).exists() for f in PACKAGED_FILES):
        return root
    return None


CHECKOUT = _checkout()
# The checkout, else the wheel's copies. pip installs a wheel as files (never zipped), so the
# packaged directory is a real path that alembic and compose can be given.
REPO_ROOT = CHECKOUT or Path(str(resources.files("netra_devtools") / PACKAGED_DIR))
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
COMPOSE_FILE = REPO_ROOT / "docker-compose.dev.yml"
SPEC_DIR = REPO_ROOT / "SPEC" / "learnings"
CI_IMAGES_DIR = REPO_ROOT / "ci" / "images"
WHEELHOUSE_DIR = REPO_ROOT / "ci" / "wheelhouse"
