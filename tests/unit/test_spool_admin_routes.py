"""The spool admin endpoints answer loopback clients only, and only with the admin token."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from netra_backend.app.admin_token import TOKEN_HEADER
from netra_backend.app.main import create_app

TOKEN = "t0ken-for-this-test"


async def _post(client_host: str, path: str, headers: dict[str, str]) -> httpx.Response:
    app = create_app()
    app.state.admin_token = TOKEN
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        return await http.post(path, headers=headers)


@pytest.mark.parametrize("path", ["/api/admin/spool/drain", "/api/admin/spool/discard"])
def test_admin_endpoints_refuse_clients_that_are_not_on_loopback(path: str) -> None:
    for host in ("10.1.2.3", "2001:db8::1", "proxy.internal", "172.18.0.1", "::ffff:10.0.0.1"):
        answer = asyncio.run(_post(host, path, {TOKEN_HEADER: TOKEN}))
        assert answer.status_code == 403, (host, answer.text)
        assert "loopback only" in answer.json()["detail"]
    for host in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):  # let through; analytics not started
        answer = asyncio.run(_post(host, path, {TOKEN_HEADER: TOKEN}))
        assert answer.status_code == 503 and "not initialised" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "admin token"),
        ({TOKEN_HEADER: TOKEN + "x"}, "admin token"),
        ({TOKEN_HEADER: TOKEN, "Host": "evil.example:8000"}, "loopback Host"),
        ({TOKEN_HEADER: TOKEN, "Origin": "http://evil.example"}, "cross-origin"),
        ({TOKEN_HEADER: TOKEN, "Sec-Fetch-Site": "cross-site"}, "cross-site"),
    ],
)
def test_loopback_requests_without_the_token_or_from_a_page_are_refused(
    headers: dict[str, str], reason: str
) -> None:
    answer = asyncio.run(_post("127.0.0.1", "/api/admin/spool/discard", headers))
    assert answer.status_code == 403 and reason in answer.json()["detail"]


def test_no_token_issued_means_no_request_matches() -> None:
    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(), client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return await http.post("/api/admin/spool/discard", headers={TOKEN_HEADER: ""})

    assert asyncio.run(post()).status_code == 403
