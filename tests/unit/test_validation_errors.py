"""422 answers are bounded: at most MAX_ERRORS errors, each input an excerpt of the value."""

from __future__ import annotations

import asyncio
import json

import httpx

from netra_backend.app.main import create_app
from netra_backend.app.validation_errors import EXCERPT_CHARS, MAX_ERRORS, excerpt


def _post(body: bytes) -> httpx.Response:
    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            return await http.post(
                "/api/events", content=body, headers={"content-type": "application/json"}
            )

    return asyncio.run(post())


def test_many_invalid_events_give_at_most_ten_short_errors() -> None:
    events = [{"event_type": "y" * 5000, "timestamp": "z" * 5000} for _ in range(50)]
    answer = _post(json.dumps(events).encode())
    body = answer.json()
    assert answer.status_code == 422 and body["error_count"] >= 100
    assert len(body["detail"]) == MAX_ERRORS
    assert all(len(error["input"]) <= EXCERPT_CHARS + 3 for error in body["detail"])
    assert len(answer.content) < 4096


def test_text_that_is_not_unicode_gets_a_422_not_a_500() -> None:
    answer = _post(b'{"event_type": "\\ud800", "properties": {"\\udfff": 1}}')
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["input"] == "\\ud800"  # escaped, so it can be encoded


def test_excerpts_describe_containers_by_their_shape() -> None:
    assert excerpt({"a": 1, "b": 2}) == "an object with 2 key(s)"
    assert excerpt(list(range(10**5))) == "an array of 100000 item(s)"
    assert excerpt(10**200).endswith("...") and len(excerpt(10**200)) == EXCERPT_CHARS + 3
