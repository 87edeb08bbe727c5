"""A request body size limit, counted while the body streams (413 beyond it).

A declared Content-Length over the limit is refused before a byte of the body is read; a body
that streams (chunked, or longer than it said) is refused as soon as the bytes received pass the
limit, so no request holds more than the limit in memory. The limit is NETRA_MAX_BODY_BYTES
(`Settings.netra_max_body_bytes`, read when the request arrives), unless one is given here.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netra_backend.app.config import DEFAULT_MAX_BODY_BYTES
from netra_backend.errors import NetraBackendError

# On every 413: the rest of the body is never read, so the server must close the connection
# rather than read (and discard) whatever a client keeps sending.
_CLOSE = (b"connection", b"close")


class BodyTooLarge(NetraBackendError, HTTPException):
    """The body passed the limit while it was being read (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body larger than {limit} bytes")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limit_of(scope: Scope) -> int:
    """The running app's NETRA_MAX_BODY_BYTES (set at startup), else the default."""
    state = getattr(scope.get("app"), "state", None)
    settings: Any = getattr(state, "settings", None)
    return int(getattr(settings, "netra_max_body_bytes", DEFAULT_MAX_BODY_BYTES))


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers.append(_CLOSE)
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """ASGI middleware: refuse request bodies over the limit with 413, counting as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes or _limit_of(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # raised into whoever reads the body
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if exceeded:  # whoever answered (FastAPI's 413 handler): the body stays unread
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:  # too late for a status line: the server closes the connection
                raise
            await _refuse(send, limit)
