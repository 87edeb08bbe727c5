"""ClickHouse's HTTP interface served from a chdb session, for stock clickhouse-connect.

What clickhouse-connect 1.12 sends and this answers: the statement in the `query` parameter
and/or the body; `database`; query settings as extra parameters (HTTP-only ones are ignored,
`param_*` are server-side bindings); `FORMAT Native` appended to queries (the format goes to
chdb as an argument); inserts as `INSERT INTO t (cols) FORMAT Native` (or JSONCompactEachRow,
the spool's raw inserts) + its body, lz4/zstd/gzip `Content-Encoding`, possibly chunked; Basic
auth; `/ping`. Replies carry `X-ClickHouse-Summary`, `-Query-Id`, `-Timezone`, `-Format`, and on
error `-Exception-Code` with the engine's "Code: N. DB::Exception" text, which is what the
client turns into its exception.
Inserts stream into chdb's `send_insert` with the settings as an INSERT ... SETTINGS clause (so
`insert_deduplication_token` works); SELECT/WITH get a trailing SETTINGS clause; other statements
(DDL, SHOW) run without per-request settings. All clients share one chdb session, so session
state (temporary tables, SET) is shared too: this serves tests and local mode, not production.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from netra_devtools.errors import NetraDevtoolsError

PASSWORD_ENV = "NETRA_CLICKHOUSE_PASSWORD"  # env, not argv: argv is visible to every user
# HTTP-only parameters: ClickHouse's HTTP layer consumes them; they are not query settings.
_TRANSPORT_PARAMS = {
    "query", "database", "default_format", "session_id", "session_timeout", "session_check",
    "compress", "decompress", "query_id", "quota_key", "wait_end_of_query", "buffer_size",
    "client_protocol_version", "role", "user", "password", "stacktrace", "close_session",
    "enable_http_compression", "send_progress_in_http_headers",
    "http_headers_progress_interval_ms", "cancel_http_readonly_queries_on_client_close",
}  # fmt: skip
_INSERT_RE = re.compile(rb"^\s*(INSERT\s+INTO\s+.+?)\s+FORMAT\s+(\w+)[ \t]*\r?\n?", re.I | re.S)
_TRAILING_FORMAT_RE = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.I)
_SETTINGS_ALLOWED_RE = re.compile(r"^\s*(SELECT|WITH)\b", re.I)
_HAS_SETTINGS_RE = re.compile(r"\bSETTINGS\b", re.I)  # a trailing clause: ours extends it
_ERROR_CODE_RE = re.compile(r"Code:\s*(\d+)")
_SETTING_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClickHouseStartError(NetraDevtoolsError, RuntimeError):
    """The bridge could not open its data directory or port (or its process did not come up)."""


def _decompress(body: bytes, encoding: str) -> bytes:
    """Undo HTTP request compression the way ClickHouse's HTTP handler does."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "lz4":
        import lz4.frame  # type: ignore[import-untyped]

        return bytes(lz4.frame.decompress(body))
    if encoding == "zstd":
        from clickhouse_connect.driver.compression import _zstd_decompress

        return bytes(_zstd_decompress(body))
    if encoding == "gzip":
        import gzip

        return gzip.decompress(body)
    if encoding == "deflate":
        import zlib

        return zlib.decompress(body)
    raise ValueError(f"unsupported Content-Encoding: {encoding}")


def _settings_clause(settings: dict[str, str]) -> str:
    """Render query settings as a SETTINGS list, quoting values as strings (ClickHouse casts)."""
    parts = []
    for name, value in settings.items():
        if not _SETTING_NAME_RE.match(name):
            raise ValueError(f"bad setting name: {name!r}")
        quoted = value.replace("\\", "\\\\").replace("'", "\\'")
        parts.append(f"{name} = '{quoted}'")
    return ", ".join(parts)


def _with_settings(sql: str, settings: dict[str, str]) -> str:
    """The text that adds `settings` to a statement, extending its own SETTINGS clause if any."""
    joiner = ", " if _HAS_SETTINGS_RE.search(sql) else " SETTINGS "
    return joiner + _settings_clause(settings)


Reply = tuple[bytes, str, dict[str, int]]  # body, output format, summary counters


class EngineBridge:
    """Owns the chdb session; every statement runs under one lock (chdb is not re-entrant)."""

    def __init__(self, data_dir: str) -> None:
        from chdb import session

        open_session: Any = session.Session  # Any: chdb ships no type hints
        self._session: Any = open_session(data_dir)
        self._lock = threading.Lock()
        self._database = "default"
        self.version, self.timezone = self._scalar_pair("SELECT version(), timezone()")

    def _scalar_pair(self, sql: str) -> tuple[str, str]:
        out = self._session.query(sql, "TabSeparated").bytes().decode().strip()
        first, second = out.split("\t")
        return first, second

    def execute(self, params: dict[str, str], body: bytes) -> Reply:
        """Run one HTTP request's statement; returns (body, output format, summary counters)."""
        query = params.get("query", "")
        settings = {k: v for k, v in params.items() if k not in _TRANSPORT_PARAMS}
        binds = {k[6:]: v for k, v in settings.items() if k.startswith("param_")}
        settings = {k: v for k, v in settings.items() if not k.startswith("param_")}
        text = (query.encode() + b"\n" + body) if query and body else (query.encode() or body)
        insert = _INSERT_RE.match(text[:65536])
        with self._lock:
            database = params.get("database") or "default"
            if database != self._database:  # one shared session: switch only when asked
                self._session.query(f"USE `{database.replace('`', '')}`", "TabSeparated")
                self._database = database
            if insert:
                return self._insert(insert, text[insert.end() :], settings)
            return self._query(text.decode(), settings, binds, params)

    def _insert(self, match: re.Match[bytes], data: bytes, settings: dict[str, str]) -> Reply:
        header = match.group(1).decode()
        if settings:
            header += _with_settings(header, settings)
        with self._session._conn.send_insert(header, match.group(2).decode()) as inserter:
            if data:
                inserter.append(data)
            result = inserter.finish()
        summary = {"written_rows": result.rows_written, "written_bytes": result.bytes_written}
        return b"", "TabSeparated", summary

    def _query(
        self, sql: str, settings: dict[str, str], binds: dict[str, str], params: dict[str, str]
    ) -> Reply:
        fmt = params.get("default_format") or "TabSeparated"
        trailing = _TRAILING_FORMAT_RE.search(sql)
        if trailing:  # chdb takes the output format as an argument, not from the text
            fmt, sql = trailing.group(1), sql[: trailing.start()]
        sql = sql.rstrip().rstrip(";")
        if settings and _SETTINGS_ALLOWED_RE.match(sql):
            sql += _with_settings(sql, settings)
        result = self._session.query(sql, fmt, params=binds or None)
        summary = {"read_rows": result.rows_read(), "read_bytes": result.bytes_read()}
        return bytes(result.bytes()), fmt, summary

    def close(self) -> None:
        """Close the session so another process may open the directory."""
        with self._lock:
            self._session.close()


def _make_handler(bridge: EngineBridge, user: str, password: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: clickhouse-connect pools connections
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a request log would be noise; errors go back to the client

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                body = b"".join(chunks)
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return _decompress(body, self.headers.get("Content-Encoding", ""))

        def _authorized(self, params: dict[str, str]) -> bool:
            given_user, given_password = params.get("user", "default"), params.get("password", "")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                decoded = base64.b64decode(auth[6:]).decode()
                given_user, _, given_password = decoded.partition(":")
            given_user = self.headers.get("X-ClickHouse-User", given_user)
            given_password = self.headers.get("X-ClickHouse-Key", given_password)
            return given_user == user and given_password == password

        def _handle(self) -> None:
            url = urlsplit(self.path)
            body = self._read_body() if self.command == "POST" else b""
            if url.path.rstrip("/") in ("/ping", ""):
                if url.path.rstrip("/") == "/ping" or (not url.query and not body):
                    self._reply(200, b"Ok.\n", {"Content-Type": "text/plain"})
                    return
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            query_id = params.get("query_id") or str(uuid.uuid4())
            headers = {"X-ClickHouse-Query-Id": query_id, "X-ClickHouse-Timezone": bridge.timezone}
            headers["X-ClickHouse-Server-Display-Name"] = "netra-embedded"
            if not self._authorized(params):
                message = f"Code: 516. DB::Exception: {user}: Authentication failed. (AUTHENTICATION_FAILED)\n"
                headers["X-ClickHouse-Exception-Code"] = "516"
                self._reply(401, message.encode(), headers)
                return
            started = time.perf_counter_ns()
            try:
                output, fmt, summary = bridge.execute(params, body)
            except Exception as exc:  # the engine's message is the client's error text
                message = str(exc).strip()
                code = _ERROR_CODE_RE.search(message)
                headers["X-ClickHouse-Exception-Code"] = code.group(1) if code else "1001"
                body_text = f"{message} (version {bridge.version})\n".encode()
                self._reply(500, body_text, headers)
                return
            summary["elapsed_ns"] = time.perf_counter_ns() - started
            headers["X-ClickHouse-Format"] = fmt
            headers["X-ClickHouse-Summary"] = json.dumps({k: str(v) for k, v in summary.items()})
            headers["Content-Type"] = "application/octet-stream"
            self._reply(200, output, headers)

        do_GET = do_POST = _handle

    return Handler


def serve(data_dir: str, port: int, host: str = "127.0.0.1") -> None:
    """Own the chdb session on `data_dir` and serve HTTP on host:port until SIGTERM/SIGINT."""
    try:
        bridge = EngineBridge(data_dir)
    except Exception as exc:  # chdb says little more than "Error initializing EmbeddedServer"
        raise ClickHouseStartError(
            f"cannot open ClickHouse data directory {data_dir} ({exc}); chdb opens a data "
            "directory from one process only: is another bridge or backend using it?"
        ) from None
    handler = _make_handler(bridge, "default", os.environ.get(PASSWORD_ENV, ""))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        bridge.close()
        raise ClickHouseStartError(f"cannot listen on {host}:{port}: {exc}") from None
    server.daemon_threads = True

    def _shutdown(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        bridge.close()
