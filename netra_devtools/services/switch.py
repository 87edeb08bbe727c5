"""A loopback TCP forwarder that can be cut and restored: a real outage of any server.

`down()` closes the listening socket and every forwarded connection (new connections are then
refused, like a stopped server); `up()` listens again on the same port. Works in front of a real
ClickHouse as well as the embedded one, which is why `check-clickhouse --url` can run outages.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from netra_devtools.services.postgres import free_port

HOST = "127.0.0.1"


class LoopbackSwitch:
    """Forwards 127.0.0.1:port to (host, target_port) while up."""

    def __init__(self, host: str, target_port: int, connect_timeout: float = 5.0) -> None:
        self.target = (host, target_port)
        self.connect_timeout = connect_timeout
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self.up()

    def up(self) -> None:
        """Listen (again) on the same port."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.create_server((HOST, self.port))  # SO_REUSEADDR on POSIX
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every forwarded connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    close = down

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut while we connected
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(source)
            source.close()  # the other pump closes `sink`, its own source
