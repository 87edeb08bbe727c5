"""Loopback faults behave like the failures they stand for, and stop cleanly."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from netra_devtools.services import faults


def test_refusing_port_refuses_connections():
    with faults.refusing() as (host, port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=5)


def test_silent_server_accepts_and_never_answers():
    with faults.silent() as (host, port):
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(0.3)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                sock.recv(1)
            assert time.monotonic() - started >= 0.25


def test_http_500_answers_every_request_with_500():
    with faults.http_500() as (host, port):
        conn = http.client.HTTPConnection(host, port, timeout=5)
        for _ in range(2):  # keep-alive: a second request on the same connection too
            conn.request("POST", "/?query=SELECT+1", body=b"x" * 10_000)
            response = conn.getresponse()
            assert response.status == 500
            assert b"injected fault" in response.read()
        conn.close()


def test_reset_mid_response_breaks_the_body():
    with faults.reset_mid_response() as (host, port):
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
            response.read()
        conn.close()


@pytest.mark.parametrize("fault", [faults.silent, faults.http_500, faults.reset_mid_response])
def test_fault_servers_stop_their_threads_and_free_the_port(fault):
    before = threading.active_count()
    with fault() as (host, port):
        clients = [socket.create_connection((host, port), timeout=5) for _ in range(5)]
        time.sleep(0.1)
    for client in clients:
        client.close()
    deadline = time.monotonic() + 3
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5)
