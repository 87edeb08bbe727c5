"""Two backend replicas started together on an empty database: both migrate, both serve."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from netra_devtools.migrate.runner import head_version
from tests.compose.stack import Stack, health_of, wait_for

pytestmark = pytest.mark.timeout(900)


def test_two_replicas_on_an_empty_database_both_migrate_and_serve_with_one_version_row(
    stack: Stack, docker_client: Any
) -> None:
    stack.compose().run("up", "-d", "postgres")
    postgres = stack.container(docker_client, "postgres")
    wait_for(lambda: health_of(postgres) == "healthy", 120, "postgres healthy")

    # an empty NETRA_BACKEND_PORT publishes each replica on an ephemeral host port
    replicas = stack.compose(NETRA_BACKEND_PORT="")
    replicas.run("up", "-d", "--no-deps", "--scale", "backend=2", "backend")
    backends = stack.containers(docker_client, "backend")
    assert len(backends) == 2
    for backend in backends:
        wait_for(lambda b=backend: health_of(b) == "healthy", 180, f"{backend.name} healthy")
        published = backend.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]
        status, body = stack.health(int(published))
        assert status == 200 and body["checks"]["postgres:connection"][0]["status"] == "pass"
        # the command is `alembic upgrade head && exec python -m netra_backend`: serving
        # means this replica's own migration run succeeded (one of them waited on the lock)
        assert backend.attrs["RestartCount"] == 0

    url = f"postgresql+psycopg2://postgres:{stack.password}@127.0.0.1:{stack.postgres_port}/netra"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [row[0] for row in rows] == [head_version()]
