"""tools/wait_health.py (the compose smoke's /health gate) against real HTTP servers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import wait_health


def _serve(answers: list[tuple[int, str]]) -> tuple[ThreadingHTTPServer, str]:
    """A loopback server giving `answers` in turn (the last one repeats)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code, body = answers.pop(0) if len(answers) > 1 else answers[0]
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/health+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/health"


@pytest.fixture
def servers() -> Iterator[list[ThreadingHTTPServer]]:
    started: list[ThreadingHTTPServer] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


PASS = (200, json.dumps({"status": "pass", "checks": {}}))
WARN = (200, json.dumps({"status": "warn", "checks": {}}))
FAIL = (503, json.dumps({"status": "fail", "checks": {}}))


def test_exits_0_once_a_backend_that_started_failing_passes(
    servers: list[ThreadingHTTPServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server, url = _serve([FAIL, FAIL, PASS])
    servers.append(server)
    assert wait_health.main(["--timeout", "20", url]) == 0
    assert f"{url}: pass after" in capsys.readouterr().out


def test_warn_is_not_pass_so_it_exits_1_naming_the_answer(
    servers: list[ThreadingHTTPServer], capsys: pytest.CaptureFixture[str]
) -> None:
    server, url = _serve([WARN])
    servers.append(server)
    assert wait_health.main(["--timeout", "2", url]) == 1
    assert "status 'warn'" in capsys.readouterr().out


def test_every_replica_must_pass(servers: list[ThreadingHTTPServer]) -> None:
    good, good_url = _serve([PASS])
    bad, bad_url = _serve([FAIL])
    servers += [good, bad]
    assert wait_health.main(["--timeout", "2", good_url, bad_url]) == 1
    assert wait_health.main(["--timeout", "2", good_url, good_url]) == 0


def test_refused_port_exits_1_within_the_deadline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed on exit: nothing listens there
    passed, seen, waited = wait_health.wait_until_pass(
        f"http://127.0.0.1:{port}/health", timeout=1.5, interval=0.2
    )
    assert not passed and "refused" in seen.lower() and waited < 3


def test_non_http_url_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert wait_health.main(["127.0.0.1:8000/health"]) == 2
    assert capsys.readouterr().err.startswith("error:")
