"""A full disk never kills analytics: the backend's spool lives on a 1 MB tmpfs (a private mount
namespace, as root) while ClickHouse is away. New batches get 503 naming the disk and the path;
what was acknowledged stays; the backend recovers by itself when space returns; a SIGKILL and a
restart while the disk is full change nothing; counters survive restarts; and in the end
stored + dropped = acknowledged, id by id."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netra_devtools.services.backend import BackendProcess, free_port, start_backend
from netra_devtools.services.switch import LoopbackSwitch
from tests.integration.test_clickhouse_service import connect
from tests.support.posters import Posters, compare, stored_counts
from tests.support.skips import by_design, service_missing

pytestmark = by_design(sys.platform != "linux", "mount namespaces and tmpfs are Linux")
DISK = "1m"
FILLER_BYTES = 400_000  # removed later: the space that "returns"
FAST = {
    "HEALTH_INTERVAL_S": "0.2",
    "CLICKHOUSE_RETRY_MAX_S": "0.5",
    "CLICKHOUSE_CONNECT_TIMEOUT": "2",
}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, Path, list[str]]]:
    """(path inside the namespace, the same directory seen from here, the command prefix that
    runs a process in that namespace): a 1 MB tmpfs that outlives the backends put on it."""
    if os.geteuid() != 0:
        service_missing("a private tmpfs needs root (unshare -m, nsenter)")
    if not (shutil.which("unshare") and shutil.which("nsenter")):
        service_missing("unshare/nsenter (util-linux) not found")
    mount = tmp_path / "disk"
    mount.mkdir()
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount -t tmpfs -o size="$1" tmpfs "$0" && echo mounted && exec sleep 3600',
         str(mount), DISK],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != "mounted":
        holder.kill()
        service_missing(f"cannot mount a tmpfs in a private namespace: {holder.communicate()[1]}")
    try:
        yield mount, Path(f"/proc/{holder.pid}/root{mount}"), ["nsenter", "-t", str(holder.pid),
                                                               "-m", "--"]  # fmt: skip
    finally:
        holder.kill()
        holder.wait(10)


def _spool(backend: BackendProcess) -> dict[str, Any]:
    body = httpx.get(f"{backend.base_url}/health", timeout=5).json()
    check: dict[str, Any] = body["checks"]["clickhouse:spool"][0]
    check["loopErrors"] = body["checks"]["clickhouse:connection"][0]["loopErrors"]
    return check


def _until(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_full_disk_refuses_new_batches_keeps_acknowledged_ones_and_recovers(
    small_disk: tuple[Path, Path, list[str]],
    database_url: str,
    clickhouse_server: Any,
    tmp_path: Path,
) -> None:
    inside, outside, prefix = small_disk
    (outside / "filler").write_bytes(b"\0" * FILLER_BYTES)
    switch = LoopbackSwitch("127.0.0.1", clickhouse_server.port)
    switch.down()  # ClickHouse away: everything stays in the spool and fills the disk
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "CLICKHOUSE_URL": f"http://default:@127.0.0.1:{switch.port}/default",
        "CLICKHOUSE_SPOOL_DIR": str(inside / "spool"),
        "NETRA_REPLICA_ID": "r1",
        "CLICKHOUSE_SPOOL_POLICY": "drop-oldest",  # so that drops are counted, and must survive
        "CLICKHOUSE_SPOOL_MAX_ROWS": "2000",
        **FAST,
    }

    def start() -> BackendProcess:
        backend = start_backend(env, port=port, log_dir=tmp_path, wrapper=prefix)
        backend.wait_for("/health/live", 200, timeout=60)
        return backend

    backend = start()
    posters = Posters(f"http://127.0.0.1:{port}", "disk", clients=4, seed=28).start()
    try:
        _until(lambda: len(posters.refusals) >= 20, 60, "the disk to fill")
        posters.stop()
        refusal = posters.refusals[-1]
        assert str(inside / "spool" / "r1" / "seg-") in refusal["detail"], refusal
        assert "No space left on device" in refusal["detail"], refusal
        assert "ClickHouse" not in refusal["detail"] and refusal["retry_after"].isdigit()
        full = _until(lambda: (c := _spool(backend))["diskError"] and c, 10, "the disk error")
        assert "No space left on device" in full["diskError"] and "503" in full["output"]
        assert full["status"] == "warn" and full["loopErrors"] == 0
        assert full["droppedRows"] > 0, "the spool limit was never reached"
        # What was acknowledged is on disk: waiting, or counted as dropped; nothing else.
        assert full["observedValue"] + full["droppedRows"] == len(posters.acked)

        backend.proc.kill()  # SIGKILL while the disk is full, then a restart on the full disk
        backend.proc.wait(15)
        backend = start()
        again = _until(lambda: (c := _spool(backend))["observedValue"] and c, 15, "the restart")
        assert again["observedValue"] + again["droppedRows"] == len(posters.acked)
        still_full = httpx.post(f"{backend.base_url}/api/events", json={"event_type": "disk"})
        assert still_full.status_code == 503 and "No space left" in still_full.text

        (outside / "filler").unlink()  # space returns: the backend recovers by itself
        posters = Posters(posters.base_url, "disk", clients=4, seed=29, acked=posters.acked,
                          refused=posters.refused, unanswered=posters.unanswered).start()  # fmt: skip
        before = len(posters.acked)
        _until(lambda: len(posters.acked) > before + 200, 30, "202s after space returned")
        posters.stop()
        _until(lambda: not _spool(backend)["diskError"], 10, "the disk error to clear")

        switch.up()  # ClickHouse back: every acknowledged row not dropped is shipped
        settled = _until(lambda: (c := _spool(backend))["observedValue"] == 0 and c, 60, "shipped")
        dropped = settled["droppedRows"]
        backend.stop()  # a graceful restart: the counters are the same afterwards
        backend = start()
        assert _until(lambda: _spool(backend)["droppedRows"] == dropped, 10, "the same counters")
    finally:
        posters.stop()
        backend.stop()
        switch.close()
    client = connect(clickhouse_server.url)
    try:
        outcome = compare(posters, stored_counts(client, "disk"))
    finally:
        client.close()
    assert outcome["doubled"] == [] and outcome["strangers"] == []
    assert len(outcome["lost"]) == dropped  # stored + dropped = acknowledged, exactly
    assert not posters.unexpected
