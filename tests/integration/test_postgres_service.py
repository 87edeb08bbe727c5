"""netra_devtools.services.postgres against real PostgreSQL binaries."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from netra_devtools.services import postgres


def _binaries() -> postgres.PostgresBinaries:
    try:
        return postgres.find_binaries()
    except postgres.PostgresUnavailable as exc:
        from tests.conftest import service_missing

        service_missing(str(exc))
        raise


def test_throwaway_cluster_serves_queries_and_vanishes() -> None:
    cluster = postgres.start_throwaway(_binaries())
    workdir = cluster._workdir
    try:
        engine = sa.create_engine(cluster.url())
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar() == 1
        engine.dispose()
    finally:
        cluster.destroy()
    assert workdir is not None and not workdir.exists()
    assert not cluster.wait_ready(0.3)


def test_wrong_password_is_refused(postgres_server) -> None:
    url = sa.engine.make_url(postgres_server.url()).set(password="wrong")
    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.OperationalError, match="password authentication failed"):
        engine.connect()
    engine.dispose()


def test_persistent_cluster_keeps_data_across_restarts() -> None:
    root = Path(tempfile.mkdtemp(prefix="netra-state-"))
    try:
        cluster = postgres.open_persistent(root, binaries=_binaries())
        assert cluster.data_dir.name.startswith(f"pg-{cluster.binaries.engine}-")
        engine = sa.create_engine(cluster.url())
        with engine.begin() as conn:
            conn.execute(sa.text("create table kept (v int)"))
            conn.execute(sa.text("insert into kept values (42)"))
        engine.dispose()
        cluster.stop()

        again = postgres.open_persistent(root, binaries=cluster.binaries)
        engine = sa.create_engine(again.url())
        with engine.connect() as conn:
            assert conn.execute(sa.text("select v from kept")).scalar() == 42
        engine.dispose()
        again.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_database_fixture_gives_an_empty_database(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text("select count(*) from information_schema.tables where table_schema='public'")
        ).scalar()
    engine.dispose()
    assert tables == 0
