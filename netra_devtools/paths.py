"""Where the project's files are: the one place that knows the checkout's layout."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
COMPOSE_FILE = REPO_ROOT / "docker-compose.dev.yml"
SPEC_DIR = REPO_ROOT / "SPEC" / "learnings"
CI_IMAGES_DIR = REPO_ROOT / "ci" / "images"
WHEELHOUSE_DIR = REPO_ROOT / "ci" / "wheelhouse"
