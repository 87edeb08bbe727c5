"""A real backend bounds what a request can make it hold: 413 past NETRA_MAX_BODY_BYTES, counted
while the body streams; 422 answers of bounded size that never echo the input."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest

from netra_devtools.services.backend import BackendProcess
from tests.support.backend import backend_on_fresh_database

LIMIT = 1024 * 1024
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def backend(
    postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendProcess]:
    """One backend for the module, with a 1 MiB body limit."""
    directory = tmp_path_factory.mktemp("limits")
    with backend_on_fresh_database(
        postgres_server, directory, NETRA_MAX_BODY_BYTES=str(LIMIT)
    ) as process:
        yield process


def _events_body(size: int) -> bytes:
    """A valid list of 100 events of about `size` bytes in all."""
    event = {"event_type": "big", "properties": {"pad": "x" * (size // 100)}}
    return json.dumps([event] * 100).encode()


def _response(conn: socket.socket, timeout: float = 10) -> tuple[int, bytes]:
    conn.settimeout(timeout)
    data = rest = b""
    try:
        while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), b"0"))  # fmt: skip
        while len(rest) < length and (chunk := conn.recv(65536)):
            rest += chunk  # the body may come in a later segment than the head
    except ConnectionError:
        pass
    return int(data.split(b" ", 2)[1]), rest


def _stream_chunked(backend: BackendProcess, total: int) -> tuple[int, int]:
    """POST a chunked body of `total` bytes while reading the answer; (status, bytes sent)."""
    conn = socket.create_connection((backend.host, backend.port), timeout=10)
    conn.sendall(
        b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sent = 0

    def send() -> None:  # on and on, whatever the server answers, as a hostile client would
        nonlocal sent
        chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
        try:
            while sent < total:
                conn.sendall(chunk)
                sent += 65536
        except OSError:  # the server answered and closed: the rest is never read
            pass

    sender = threading.Thread(target=send)
    sender.start()
    try:
        status, _ = _response(conn, timeout=30)
        sender.join(60)
    finally:
        conn.close()
    return status, sent


def test_a_declared_length_over_the_limit_is_refused_before_any_body(
    backend: BackendProcess,
) -> None:
    with socket.create_connection((backend.host, backend.port), timeout=10) as conn:
        conn.sendall(
            b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (100 * MIB)
        )
        status, body = _response(conn, timeout=5)  # no byte of the body was sent
    assert status == 413 and str(LIMIT).encode() in body


def test_a_chunked_body_is_refused_once_it_passes_the_limit(backend: BackendProcess) -> None:
    status, sent = _stream_chunked(backend, 100 * MIB)
    assert status == 413
    assert sent < 40 * MIB  # refused, then the connection closed: the rest was never read


def test_four_large_bodies_at_once_leave_memory_alone(backend: BackendProcess) -> None:
    process = psutil.Process(backend.proc.pid)
    before = process.memory_info().rss
    results: list[tuple[int, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_stream_chunked(backend, 100 * MIB)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    grown = process.memory_info().rss - before
    assert [status for status, _ in results] == [413] * 4
    assert grown < 40 * MIB, f"RSS grew {grown / MIB:.0f} MiB"  # was 579 MiB without a limit


def test_a_content_length_that_lies_gets_no_more_than_it_declared(backend: BackendProcess) -> None:
    """Declared small, sent big: the server reads what was declared, and never accepts it."""
    body = _events_body(LIMIT) + b"x" * (3 * MIB)
    with socket.create_connection((backend.host, backend.port), timeout=10) as conn:
        conn.sendall(
            b"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        try:
            conn.sendall(body)
        except OSError:
            pass
        status, _ = _response(conn)
    assert status == 422  # the first 1000 bytes are not a whole JSON document
    assert httpx.get(f"{backend.base_url}/health/live", timeout=5).status_code == 200


def test_the_limit_is_configurable_and_bodies_under_it_are_accepted(
    backend: BackendProcess,
) -> None:
    under, over = _events_body(LIMIT // 2), _events_body(LIMIT + 200_000)
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=backend.base_url, timeout=10) as client:
        assert client.post("/api/events", content=under, headers=headers).status_code == 202
        answer = client.post("/api/events", content=over, headers=headers)
    assert len(over) > LIMIT and answer.status_code == 413


def test_a_large_invalid_body_gets_a_short_422_without_its_input(backend: BackendProcess) -> None:
    marker = "EchoedInput" * 18_000  # 198 kB in one string; four of them stay under the limit
    events = [{"event_type": marker}, {"event_type": "ok", "timestamp": marker}] * 2
    started = time.monotonic()
    answer = httpx.post(f"{backend.base_url}/api/events", json=events, timeout=10)
    assert answer.status_code == 422
    assert len(answer.content) < 8192, len(answer.content)
    assert marker[:200] not in answer.text  # an excerpt of 80 characters at most
    assert answer.json()["error_count"] >= 4
    assert time.monotonic() - started < 5
