"""The spool admin endpoints answer loopback clients only."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from netra_backend.app.main import create_app


async def _post(client_host: str, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(), client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
        return await http.post(path)


@pytest.mark.parametrize("path", ["/api/admin/spool/drain", "/api/admin/spool/discard"])
def test_admin_endpoints_refuse_clients_that_are_not_on_loopback(path: str) -> None:
    for host in ("10.1.2.3", "192.168.0.7", "2001:db8::1", "proxy.internal"):
        answer = asyncio.run(_post(host, path))
        assert answer.status_code == 403, (host, answer.text)
        assert "loopback only" in answer.json()["detail"]
    for host in ("127.0.0.1", "::1"):  # let through; this app has not started its analytics
        answer = asyncio.run(_post(host, path))
        assert answer.status_code == 503 and "not initialised" in answer.json()["detail"]
