"""Loopback servers that fail the way real dependencies do: refuse, hang, answer 500, reset.

Each is a context manager yielding `(host, port)`; threads are bounded and stop on exit:

    with faults.silent() as (host, port):
        os.environ["CLICKHOUSE_URL"] = f"http://default:pw@{host}:{port}/netra"
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator

from netra_devtools.compat import WINDOWS

HOST = "127.0.0.1"
MAX_CONNECTIONS = 64  # beyond this, new connections are closed at once (bounded threads)
READ_LIMIT = 1 << 20  # bytes of a request body read before answering
IO_TIMEOUT_S = 5.0

LINGER_FORMAT = (
    "HH" if WINDOWS else "ii"
)  # struct linger: two u_short on Windows, two int elsewhere

Handler = Callable[[socket.socket, threading.Event], None]


@contextlib.contextmanager
def refusing(host: str = HOST) -> Iterator[tuple[str, int]]:
    """A port that refuses connections: bound but never listening, so nobody else takes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        yield host, sock.getsockname()[1]
    finally:
        sock.close()


@contextlib.contextmanager
def silent(host: str = HOST) -> Iterator[tuple[str, int]]:
    """Accepts connections and never answers (a hung server or a black-holed proxy)."""
    with _serve(_hold_open, host) as address:
        yield address


@contextlib.contextmanager
def http_500(
    host: str = HOST, body: bytes = b"Code: 999. DB::Exception: injected fault"
) -> Iterator[tuple[str, int]]:
    """Answers every HTTP request with 500 Internal Server Error."""

    def answer(conn: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set() and _read_request(conn):
            head = (
                "HTTP/1.1 500 Internal Server Error\r\n"
                "Content-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n"
            )
            conn.sendall(head.encode("ascii") + body)

    with _serve(answer, host) as address:
        yield address


@contextlib.contextmanager
def reset_mid_response(host: str = HOST) -> Iterator[tuple[str, int]]:
    """Starts a 200 response, then resets the connection (RST) halfway through the body."""

    def answer(conn: socket.socket, stopping: threading.Event) -> None:
        if _read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            # SO_LINGER 0: close() sends RST instead of FIN, the way a crashed peer looks.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack(LINGER_FORMAT, 1, 0))

    with _serve(answer, host) as address:
        yield address


def _hold_open(conn: socket.socket, stopping: threading.Event) -> None:
    stopping.wait()


def _read_request(conn: socket.socket) -> bool:
    """Read one HTTP request (headers and a bounded body); False when the peer went away."""
    conn.settimeout(IO_TIMEOUT_S)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
            if len(data) > READ_LIMIT:
                return True
        head, _, rest = data.partition(b"\r\n\r\n")
        headers = head.decode("latin-1").lower()
        length = 0
        for line in headers.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip() == "content-length":
                length = min(int(value.strip() or 0), READ_LIMIT)
        if "transfer-encoding: chunked" in headers:
            while not rest.endswith(b"0\r\n\r\n") and len(rest) < READ_LIMIT:
                chunk = conn.recv(65536)
                if not chunk:
                    return False
                rest += chunk
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            rest += chunk
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def _serve(handler: Handler, host: str) -> Iterator[tuple[str, int]]:
    """Run `handler(conn, stopping)` per connection on a listening loopback socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen(MAX_CONNECTIONS)
    listener.settimeout(0.1)  # lets the accept loop notice `stopping`
    stopping = threading.Event()
    workers: list[threading.Thread] = []
    conns: list[socket.socket] = []
    lock = threading.Lock()

    def run(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            handler(conn, stopping)
        with contextlib.suppress(OSError):
            conn.close()

    def accept_loop() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with lock:
                workers[:] = [w for w in workers if w.is_alive()]
                if len(workers) >= MAX_CONNECTIONS:
                    conn.close()
                    continue
                conns.append(conn)
                worker = threading.Thread(target=run, args=(conn,), daemon=True)
                workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept_loop, name="fault-accept", daemon=True)
    acceptor.start()
    try:
        yield host, listener.getsockname()[1]
    finally:
        stopping.set()
        acceptor.join(2)
        listener.close()
        with lock:
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            pending = list(workers)
        for worker in pending:
            worker.join(2)
