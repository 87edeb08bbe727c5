"""What the launcher says: errors in words (no exception reprs), a spinner only on a terminal."""

from __future__ import annotations

import io
import re
import socket
import urllib.request

from rich.console import Console

from netra_devtools.launcher import display
from netra_devtools.launcher.errors_text import describe_error

PYTHON_ISMS = re.compile(r"Error\b|Exception\b|<|\[Errno|\(\d+,")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raised(call: object) -> BaseException:
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing raised")


def test_a_refused_http_probe_reads_as_words_not_as_urlerror() -> None:
    port = _closed_port()
    exc = _raised(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2))
    assert "URLError" in repr(exc)  # what the old output printed
    text = describe_error(exc)
    assert text == "connection refused (nothing listens there)"
    assert not PYTHON_ISMS.search(text)


def test_a_socket_timeout_names_the_wait() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # accepts, never answers
        port = server.getsockname()[1]
        exc = _raised(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.3).read()
        )
    assert describe_error(exc, timeout=0.3) == "no answer within 0.3 s"


def test_a_refused_postgres_connection_reads_as_words() -> None:
    import psycopg2  # a dependency of the backend: never missing

    port = _closed_port()
    exc = _raised(lambda: psycopg2.connect(host="127.0.0.1", port=port, connect_timeout=2))
    text = describe_error(exc)
    assert text == "connection refused (nothing listens there)"


def test_a_file_error_names_the_file_but_not_its_errno(tmp_path) -> None:
    missing = tmp_path / "nope.toml"
    exc = _raised(lambda: missing.read_text())
    assert describe_error(exc) == f"no such file or directory: {missing}"


def test_the_spinner_shows_on_a_terminal_and_nowhere_else() -> None:
    terminal, pipe = io.StringIO(), io.StringIO()
    with display.waiting(Console(file=terminal, force_terminal=True), "starting PostgreSQL"):
        pass
    with display.waiting(Console(file=pipe, force_terminal=False), "starting PostgreSQL"):
        pass
    assert "starting PostgreSQL ..." in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_urls_are_printed_one_per_line_masked_with_the_env_file_named(tmp_path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=40)  # narrower than the URL: it must not be cut
    url = "postgresql+psycopg2://postgres:s3cret@127.0.0.1:5432/netra"
    display.urls(console, {"DATABASE_URL": url}, tmp_path / ".env")
    lines = out.getvalue().splitlines()
    assert lines[0] == "DATABASE_URL  postgresql+psycopg2://postgres:***@127.0.0.1:5432/netra"
    assert lines[1].startswith("full URLs, passwords included: ") and "(mode 0600)" in lines[1]
    assert "s3cret" not in out.getvalue()
