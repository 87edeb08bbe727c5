"""`pip install .` (a wheel, not editable) works away from the checkout: data files included.

The wheel is built from a copy of the source tree by the declared backend (setuptools>=77, which
the dev extra installs; `--no-build-isolation` spares a download per run) and installed with
`--no-deps` into a fresh venv. Its dependencies come from this test's environment through a .pth
line: what this proves is the wheel's own content (code, SPEC/learnings, the compose file, the
alembic scripts) running from site-packages with no checkout in sight, not dependency
resolution (`pyproject.toml` declares that, and every CI install exercises it).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_devtools.compat import WINDOWS
from netra_devtools.paths import PACKAGED_DIR, PACKAGED_FILES, REPO_ROOT

TOOLS = ["netra_backend", *(f"netra_devtools.{t}" for t in ("ports", "launcher", "doctor",
         "learnings", "migrate", "analytics"))]  # fmt: skip
NOT_SOURCE = (".git", ".venv", ".nox", "node_modules", "build", "dist", "*.egg-info", ".netra",
              "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis")  # fmt: skip
Run = Callable[..., subprocess.CompletedProcess[str]]


def _check(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(venv python, the installed netra_devtools package) from a wheel of this tree."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _check([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
            str(source)])  # fmt: skip
    wheel = next((tmp / "dist").glob("netra_devtools-*.whl"))
    _check([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")])
    python = tmp / "venv" / ("Scripts/python.exe" if WINDOWS else "bin/python")
    _check([*pip, "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)])
    purelib = _check([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    site_packages = Path(purelib.stdout.strip())
    # the dependencies: this environment's site-packages, after the venv's own (its .pth files,
    # such as an editable install of this checkout, are not processed from a .pth line)
    (site_packages / "netra-test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    yield python, site_packages / "netra_devtools"


@pytest.fixture
def run(installed: tuple[Path, Path], tmp_path: Path) -> Run:
    """Run the venv's python with `args` in an empty directory, away from the checkout."""
    python, _ = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    env = {k: v for k, v in env.items() if not k.startswith(("NETRA_", "CLICKHOUSE_"))}
    env["NETRA_STATE_DIR"] = str(tmp_path / "state")

    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(python), *args], cwd=tmp_path, env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    return run


def test_the_installed_package_is_the_wheel_and_sees_no_checkout(run: Run, installed) -> None:
    code = (
        "import json, netra_backend, netra_devtools.paths as p; print(json.dumps({"
        "'devtools': p.__file__, 'backend': netra_backend.__file__, "
        "'checkout': str(p.CHECKOUT), 'spec': str(p.SPEC_DIR), 'ini': str(p.ALEMBIC_INI)}))"
    )
    done = run("-c", code)
    assert done.returncode == 0, done.stderr
    where = json.loads(done.stdout)
    package = installed[1]
    assert Path(where["devtools"]).parent == package
    assert Path(where["backend"]).parent == package.parent / "netra_backend"
    assert where["checkout"] == "None"
    assert Path(where["spec"]) == package / PACKAGED_DIR / "SPEC" / "learnings"
    assert Path(where["ini"]).is_file()


def test_the_wheel_ships_exact_copies_of_the_project_files(installed) -> None:
    packaged = installed[1] / PACKAGED_DIR
    originals = {}
    for name in PACKAGED_FILES:
        source = REPO_ROOT / name
        files = [p for p in source.rglob("*") if p.is_file()] if source.is_dir() else [source]
        originals.update({p.relative_to(REPO_ROOT).as_posix(): p for p in files})
    shipped = {p.relative_to(packaged).as_posix(): p for p in packaged.rglob("*") if p.is_file()}
    assert sorted(shipped) == sorted(originals)
    assert {"SPEC/learnings/learning.xsd", "docker-compose.dev.yml", "alembic.ini"} <= set(shipped)
    for name, original in originals.items():
        assert shipped[name].read_bytes() == original.read_bytes(), name
    alembic = installed[1].parent / "netra_backend" / "app" / "alembic"
    assert (alembic / "script.py.mako").is_file() and list((alembic / "versions").glob("*.py"))


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_answers_help(run: Run, tool: str) -> None:
    done = run("-m", tool, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_learnings_check_validates_the_packaged_catalog(run: Run) -> None:
    done = run("-m", "netra_devtools.learnings", "check")
    assert done.returncode == 0, done.stderr
    assert "all checks passed" in done.stdout
    assert "not a checkout" in done.stderr


def test_introspect_recognises_a_known_error_with_the_packaged_catalog(
    run: Run, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    log.write_text("starting\nOSError: [Errno 98] Address already in use\n")
    done = run("-m", "netra_devtools.learnings", "introspect", "--file", str(log), "--json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["line"], f["signature"]) for f in findings] == [(2, "port-in-use")]


def test_check_port_reports_a_free_port(run: Run) -> None:
    from netra_devtools.services.postgres import free_port

    port = free_port()
    done = run("-m", "netra_devtools.ports", "check", "--port", str(port), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["port"] == port


def test_migrate_runs_the_packaged_revisions(run: Run, database_url: str) -> None:
    from netra_devtools.migrate.runner import head_version

    done = run("-m", "netra_devtools.migrate", extra={"DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"done: database at {head_version()}")
