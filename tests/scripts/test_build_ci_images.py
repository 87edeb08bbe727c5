"""scripts/build_ci_images.py (invoke images) run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from netra_devtools.images.recipes import STANDINS, input_keys
from tests.support.scripts import SCRIPTS

SCRIPT = SCRIPTS / "build_ci_images.py"
NO_ENGINE = "unix:///nonexistent/netra-test-docker.sock"


def _run(*args: str, cache: Path, docker_host: str = NO_ENGINE) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NETRA_IMAGE_CACHE": str(cache), "DOCKER_HOST": docker_host}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_status_lists_each_stand_in_with_its_key_without_an_engine(tmp_path: Path) -> None:
    done = _run("--status", "--json", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["images"]
    keys = input_keys()
    assert [(r["name"], r["tag"], r["env"]) for r in rows] == [
        (s.name, s.tag, s.env) for s in STANDINS
    ]
    assert all(r["key"] == keys[r["name"]][:16] for r in rows)
    assert all(r["cached"] is False and r["loaded"] is None for r in rows)
    assert all(r["archive"].startswith(str(tmp_path)) for r in rows)


def test_an_unknown_image_name_is_bad_usage(tmp_path: Path) -> None:
    done = _run("--only", "mysql", cache=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.splitlines()) == 1


def test_building_without_an_engine_fails_with_one_line(tmp_path: Path) -> None:
    done = _run("--only", "postgres", cache=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: no Docker engine answers")
    assert list(tmp_path.iterdir()) == []  # nothing half-built left behind


def test_loading_only_from_an_empty_cache_names_the_missing_tar(
    tmp_path: Path, docker_host: str
) -> None:
    done = _run(
        "--only",
        "python",
        "--cached-only",
        "--no-wheelhouse",
        cache=tmp_path,
        docker_host=docker_host,
    )
    assert done.returncode == 1
    assert "netra-ci-standin/python:3.11-slim: no cached tar for its inputs" in done.stderr
