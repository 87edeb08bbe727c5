"""The spool admin endpoints against what a browser sends: cross-site simple requests, form posts,
DNS rebinding and preflights are refused by a real backend, while `invoke spool` gets through with
the token the backend wrote beside its spool."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netra_backend.app.admin_token import TOKEN_FILE, TOKEN_HEADER, read_token
from netra_devtools.compat import WINDOWS
from netra_devtools.services import faults
from netra_devtools.services.backend import BackendProcess
from tests.integration.test_analytics_end_to_end import (
    _post,
    _spool_check,
    _wait,
    backend_factory,  # noqa: F401 - the fixture
)

REPO = Path(__file__).resolve().parents[2]
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
ROWS = 30


@pytest.fixture
def spooling_backend(
    backend_factory: Callable[..., BackendProcess],  # noqa: F811
) -> Iterator[BackendProcess]:
    """A backend whose ClickHouse refuses, holding ROWS rows in its disk spool."""
    with faults.refusing() as (host, port):
        backend = backend_factory(
            CLICKHOUSE_URL=f"http://default:pw@{host}:{port}/netra", CLICKHOUSE_RETRY_MAX_S="120"
        )
        _post(backend, "csrf", ROWS)
        _wait(lambda: _spool_check(backend)["observedValue"] == ROWS, 15, f"{ROWS} rows spooled")
        yield backend


def _raw(backend: BackendProcess, head: str, body: bytes = b"") -> tuple[int, str, bytes]:
    """Send `head` (CRLF lines, no blank line) and `body` byte for byte; (status, headers, body)."""
    with socket.create_connection((backend.host, backend.port), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    headers, _, content = answer.partition(b"\r\n\r\n")
    status = int(headers.split(b" ", 2)[1])
    return status, headers.decode("latin-1"), content


def _browser_requests(port: int, path: str) -> dict[str, tuple[str, bytes]]:
    """What Chrome sends for each way a page can reach the endpoint (Connection: close added)."""
    target = f"127.0.0.1:{port}"
    rebound = f"rebind.evil.example:{port}"
    common = f"User-Agent: {CHROME}\nAccept-Language: en-US\nConnection: close"
    return {
        "fetch no-cors text/plain": (
            f"POST {path} HTTP/1.1\nHost: {target}\nContent-Length: 2\n"
            "Content-Type: text/plain;charset=UTF-8\nOrigin: http://evil.example\nAccept: */*\n"
            "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: no-cors\nSec-Fetch-Dest: empty\n"
            f"Referer: http://evil.example/\n{common}",
            b"{}",
        ),
        "form post": (
            f"POST {path} HTTP/1.1\nHost: {target}\nContent-Length: 3\n"
            "Content-Type: application/x-www-form-urlencoded\nOrigin: http://evil.example\n"
            "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: navigate\nSec-Fetch-Dest: document\n"
            f"Upgrade-Insecure-Requests: 1\n{common}",
            b"a=b",
        ),
        "a local page on another port": (
            f"POST {path} HTTP/1.1\nHost: {target}\nContent-Length: 0\n"
            "Content-Type: text/plain;charset=UTF-8\nOrigin: http://localhost:3000\n"
            f"Sec-Fetch-Site: same-site\nSec-Fetch-Mode: no-cors\n{common}",
            b"",
        ),
        "DNS rebinding (same-origin to the rebound name)": (
            f"POST {path} HTTP/1.1\nHost: {rebound}\nContent-Length: 0\n"
            f"Origin: http://{rebound}\nSec-Fetch-Site: same-origin\nSec-Fetch-Mode: cors\n"
            f"{common}",
            b"",
        ),
        "no Origin, no fetch metadata (an old browser's form)": (
            f"POST {path} HTTP/1.1\nHost: {target}\nContent-Length: 0\n"
            f"Content-Type: application/x-www-form-urlencoded\n{common}",
            b"",
        ),
    }


@pytest.mark.parametrize("path", ["/api/admin/spool/discard", "/api/admin/spool/drain"])
def test_no_request_a_browser_can_send_reaches_the_admin_endpoints(
    spooling_backend: BackendProcess, path: str
) -> None:
    for name, (head, body) in _browser_requests(spooling_backend.port, path).items():
        status, _, content = _raw(spooling_backend, head, body)
        assert status == 403, (name, content)
    assert _spool_check(spooling_backend)["observedValue"] == ROWS  # nothing was discarded


def test_a_preflight_for_the_token_header_is_never_granted(
    spooling_backend: BackendProcess,
) -> None:
    status, headers, _ = _raw(
        spooling_backend,
        f"OPTIONS /api/admin/spool/discard HTTP/1.1\nHost: 127.0.0.1:{spooling_backend.port}\n"
        "Origin: http://evil.example\nAccess-Control-Request-Method: POST\n"
        f"Access-Control-Request-Headers: {TOKEN_HEADER.lower()}\nConnection: close",
    )
    assert status >= 400 and "access-control-allow" not in headers.lower()


def test_the_token_alone_does_not_let_a_foreign_origin_or_host_through(
    spooling_backend: BackendProcess, tmp_path: Path
) -> None:
    token = read_token(tmp_path / "spool" / "r1")
    assert token
    port = spooling_backend.port
    for extra in (
        f"Host: 127.0.0.1:{port}\nOrigin: http://evil.example",
        f"Host: rebind.evil.example:{port}",
    ):
        status, _, _ = _raw(
            spooling_backend,
            f"POST /api/admin/spool/discard HTTP/1.1\n{extra}\n{TOKEN_HEADER}: {token}\n"
            "Content-Length: 0\nConnection: close",
        )
        assert status == 403, extra
    status, _, content = _raw(
        spooling_backend,
        f"POST /api/admin/spool/discard HTTP/1.1\nHost: 127.0.0.1:{port}\n"
        f"{TOKEN_HEADER}: {token[:-1]}x\nContent-Length: 0\nConnection: close",
    )
    assert status == 403 and b"token" in content
    assert _spool_check(spooling_backend)["observedValue"] == ROWS


def test_invoke_spool_discards_with_the_token_the_backend_wrote(
    spooling_backend: BackendProcess, tmp_path: Path
) -> None:
    token_file = tmp_path / "spool" / "r1" / TOKEN_FILE
    if not WINDOWS:  # Windows has no mode bits: the file inherits its directory's ACL
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    done = subprocess.run(
        [sys.executable, "-m", "netra_devtools.analytics", "spool", "--discard", "--yes",
         "--json", "--dir", str(tmp_path / "spool")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NETRA_STATE_DIR": str(tmp_path / "state")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"][0]
    assert result["discarded"] == ROWS and result["via"].startswith("backend pid")
    # /health is a cache refreshed every HEALTH_INTERVAL_S: wait for the refresh
    _wait(lambda: _spool_check(spooling_backend)["observedValue"] == 0, 5, "an empty spool")
    spooling_backend.stop()
    assert not token_file.exists()  # a stopped backend leaves no token behind
