"""A small HTTP/1.1 load generator: N keep-alive clients on one asyncio loop, each sending the
same POST a fixed number of times; throughput and p99 latency, every answer checked.

One loop drives every client: client threads would spend the load generator's time fighting
over the GIL and measure that instead of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterable, Iterator


@contextlib.contextmanager
def load_apart(server_pids: Iterable[int]) -> Iterator[None]:
    """Within the block the load generator (this process) runs on one core and the servers' main
    threads (their event loops) on another, so neither measures the other's work (Linux with 2+
    cores; elsewhere a no-op). Threads a server started before this keep their own affinity."""
    if sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2:
        yield
        return
    before = os.sched_getaffinity(0)
    cpus = sorted(before)
    os.sched_setaffinity(0, {cpus[0]})
    for pid in server_pids:
        os.sched_setaffinity(pid, {cpus[1]})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


async def _client(
    host: str,
    port: int,
    request: bytes,
    count: int,
    go: asyncio.Event,
    seconds: list[float],
    expect: bytes | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    await go.wait()
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            if expect is not None and not status.startswith(expect):
                raise RuntimeError(f"answered {status!r}: {body[:200]!r}")
            seconds.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _run(
    host: str,
    port: int,
    request: bytes,
    clients: int,
    count: int,
    expect: bytes | None,
    timeout_s: float,
) -> tuple[list[float], float]:
    seconds: list[float] = []
    go = asyncio.Event()
    tasks = [asyncio.create_task(_client(host, port, request, count, go, seconds, expect))
             for _ in range(clients)]  # fmt: skip
    await asyncio.sleep(0.05)  # every connection open before the first request
    started = time.perf_counter()
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout_s)
    return seconds, time.perf_counter() - started


def latencies(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    clients: int,
    count: int,
    expect: bytes | None,
    timeout_s: float = 300,
) -> tuple[list[float], float]:
    """(seconds per request, wall seconds) of `clients` keep-alive clients sending `method path`
    `count` times each; an answer whose status line does not start with `expect` raises."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    request = (head + "\r\n").encode("ascii") + (body or b"")
    return asyncio.run(_run(host, port, request, clients, count, expect, timeout_s))


def p99(samples: list[float]) -> float:
    """The 99th percentile of `samples`."""
    return statistics.quantiles(samples, n=100)[98]


def load(host: str, port: int, body: bytes, clients: int, count: int) -> tuple[float, float]:
    """(requests per second, p99 seconds) of `clients` clients POSTing `body` `count` times each
    to /api/events; any answer but 202 raises."""
    seconds, elapsed = latencies(
        host, port, "POST", "/api/events", body, clients, count, expect=b"HTTP/1.1 202"
    )
    return len(seconds) / elapsed, p99(seconds)
