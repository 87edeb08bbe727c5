"""The body limit counts the bytes a request really delivers, not what its headers claim."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from netra_backend.app.body_limit import BodySizeLimit


async def _echo_length(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body, then answers 200 with its length."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"read": size}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _run(declared: int | None, chunks: list[bytes], limit: int) -> tuple[int, int, bytes]:
    """(status, chunks the app pulled, body) for a request delivering `chunks`."""
    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        last = pulled >= len(chunks)
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": not last}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(BodySizeLimit(_echo_length, max_bytes=limit)(scope, receive, send))
    return sent[0]["status"], pulled, b"".join(m.get("body", b"") for m in sent[1:])


def test_a_body_longer_than_its_content_length_is_cut_at_the_limit() -> None:
    status, pulled, body = _run(declared=10, chunks=[b"x" * 1000] * 50, limit=4096)
    assert status == 413 and pulled == 5  # stopped at the fifth kB, never read the other 45
    assert b"4096" in body


def test_a_declared_length_over_the_limit_reads_nothing() -> None:
    status, pulled, _ = _run(declared=10_000, chunks=[b"x"], limit=4096)
    assert status == 413 and pulled == 0


def test_a_body_at_the_limit_passes_whole() -> None:
    status, _, body = _run(declared=None, chunks=[b"x" * 1024] * 4, limit=4096)
    assert status == 200 and json.loads(body) == {"read": 4096}
