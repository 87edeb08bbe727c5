"""The embedded ClickHouse bridge with stock clickhouse-connect, and the events schema on it."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from netra_backend.app.analytics.schema import EVENTS_DDL, ensure_schema, insert_events
from netra_devtools.services import clickhouse
from tests.conftest import service_missing


def connect(url: str, database: str = "default", **kwargs: Any) -> Any:
    """A stock clickhouse-connect client for an http://user:pass@host:port/db URL."""
    parts = urlsplit(url)
    kwargs.setdefault("connect_timeout", 5)
    return clickhouse_connect.get_client(
        host=parts.hostname,
        port=parts.port,
        username=parts.username or "default",
        password=parts.password or "",
        database=database,
        **kwargs,
    )


@pytest.fixture
def client(clickhouse_url: str) -> Iterator[Any]:
    """A client on a fresh database of the shared server (the embedded one or an external one)."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(clickhouse_url)
    admin.command(f"CREATE DATABASE {database}")
    client = connect(clickhouse_url, database)
    try:
        yield client
    finally:
        client.close()
        admin.command(f"DROP DATABASE IF EXISTS {database}")
        admin.close()


def _events(count: int, start: int = 0) -> list[dict[str, Any]]:
    stamp = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    return [
        {
            "event_id": f"e{i}",
            "event_type": ("click", "view")[i % 2],
            "user_id": None if i % 3 else f"u{i}",
            "properties": {"i": i},
            "timestamp": stamp,
        }
        for i in range(start, start + count)
    ]


def test_stock_client_runs_commands_queries_and_native_inserts(client: Any) -> None:
    assert client.server_version.split(".")[0].isdigit()
    client.command(
        "CREATE TABLE t (id UInt32, name String, at DateTime64(3, 'UTC')) ENGINE = Memory"
    )
    stamp = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    client.insert(
        "t", [[i, f"n{i}", stamp] for i in range(1000)], column_names=["id", "name", "at"]
    )
    assert client.command("SELECT count() FROM t") == 1000
    result = client.query(
        "SELECT id, name, at FROM t WHERE id < {n:UInt32} ORDER BY id", parameters={"n": 2}
    )
    assert [row[:2] for row in result.result_rows] == [(0, "n0"), (1, "n1")]
    assert result.result_rows[0][2].replace(tzinfo=UTC) == stamp
    assert client.query("SELECT sum(id) FROM t").result_rows == [(499500,)]
    own = "SELECT getSetting('max_threads'), getSetting('max_block_size') SETTINGS max_threads = 1"
    assert client.query(own, settings={"max_block_size": 100}).result_rows == [(1, 100)]


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_inserts_arrive_whole_with_every_request_compression(
    clickhouse_url: str, compress: Any
) -> None:
    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(clickhouse_url)
    admin.command(f"CREATE DATABASE {database}")
    client = connect(clickhouse_url, database, compress=compress)
    try:
        client.command("CREATE TABLE z (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
        client.insert("z", [[i, "x" * 50] for i in range(5000)], column_names=["a", "s"])
        assert client.query("SELECT count(), sum(a) FROM z").result_rows == [(5000, 12497500)]
    finally:
        client.close()
        admin.command(f"DROP DATABASE {database}")
        admin.close()


def test_engine_errors_reach_the_client_with_their_code(client: Any) -> None:
    with pytest.raises(DatabaseError) as raised:
        client.query("SELECT * FROM no_such_table")
    assert raised.value.code == 60  # UNKNOWN_TABLE, as a real server answers


def test_ensure_schema_is_idempotent_and_creates_the_events_table(client: Any) -> None:
    ensure_schema(client)
    ensure_schema(client)
    create = client.command("SHOW CREATE TABLE events")
    assert "non_replicated_deduplication_window = 10000" in create
    assert "ORDER BY (event_type, timestamp)" in create
    assert "IF NOT EXISTS" in EVENTS_DDL


def test_same_batch_id_inserted_twice_is_stored_once(client: Any) -> None:
    ensure_schema(client)
    batch = _events(500)
    insert_events(client, batch, "batch-1")
    insert_events(client, batch, "batch-1")  # a retry after a lost acknowledgement
    assert client.command("SELECT count() FROM events") == 500
    insert_events(client, _events(500, 500), "batch-2")
    insert_events(client, batch, None)  # no token: a plain insert is not deduplicated
    assert client.command("SELECT count() FROM events") == 1500
    assert client.command("SELECT uniqExact(event_id) FROM events") == 1000


def test_events_keep_their_values(client: Any) -> None:
    ensure_schema(client)
    insert_events(client, _events(3), "b")
    rows = client.query(
        "SELECT event_id, event_type, user_id, properties, timestamp FROM events ORDER BY event_id"
    ).result_rows
    assert rows[0][:4] == ("e0", "click", "u0", '{"i": 0}')
    assert rows[1][2] is None
    assert rows[0][4].replace(tzinfo=UTC) == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_wrong_password_is_refused_and_the_right_one_accepted() -> None:
    if not clickhouse.chdb_available():
        service_missing("ClickHouse: chdb is not installed (the embedded extra)")
    workdir = Path(tempfile.mkdtemp(prefix="netra-ch-"))
    server = clickhouse.start_embedded(workdir / "data", password="s3cret-pw")
    try:
        with pytest.raises(DatabaseError) as raised:
            connect(server.url.replace("s3cret-pw", "wrong"))
        assert raised.value.code == 516
        good = connect(server.url)
        assert good.command("SELECT 1") == 1
        good.close()
    finally:
        server.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def test_data_survives_stop_and_start_on_the_same_port(clickhouse_server: Any) -> None:
    client = connect(clickhouse_server.url)
    ensure_schema(client)
    insert_events(client, _events(100), "b1")
    port = clickhouse_server.port
    clickhouse_server.stop()
    with pytest.raises(Exception):  # noqa: B017 (any transport error: the server is gone)
        client.command("SELECT 1")
    clickhouse_server.start()
    assert clickhouse_server.port == port
    assert client.command("SELECT count() FROM events") == 100
    client.close()


def test_sigkilled_server_restarts_with_every_acknowledged_insert(clickhouse_server: Any) -> None:
    client = connect(clickhouse_server.url)
    ensure_schema(client)
    insert_events(client, _events(1000), "b1")
    clickhouse_server.kill()
    clickhouse_server.start()
    assert client.command("SELECT count() FROM events") == 1000
    insert_events(client, _events(1000), "b1")  # the dedup window survived the crash as well
    assert client.command("SELECT count() FROM events") == 1000
    client.close()


def test_second_bridge_on_a_used_directory_fails_with_the_reason(clickhouse_server: Any) -> None:
    other = clickhouse.EmbeddedClickHouse(clickhouse_server.data_dir, port=_free_port())
    try:
        with pytest.raises(clickhouse.ClickHouseStartError, match="from one process only"):
            other.start(timeout=30)
    finally:
        other.destroy()


def _free_port() -> int:
    from netra_devtools.services.postgres import free_port

    return free_port()
