"""The flag server and clients that hang up early: no traceback, one log line at most.

A client that times out (``--http-timeout 0.2``) closes its socket while the
server still sleeps its planned latency; the server's write then meets a broken
pipe or a reset. That is the client's business, never a traceback on the
server's terminal. Tried with several ways of hanging up.
"""

from __future__ import annotations

import socket
import struct
import time

import pytest

from loiter.workloads.flags.server import Behaviour, serving

REQUEST = b"GET /flags/br/br.gif HTTP/1.1\r\nHost: x\r\n\r\n"


def reset(conn: socket.socket) -> None:
    """Close with an RST (linger 0), as a killed client does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def hang_up_after_request(address: tuple[str, int]) -> None:
    conn = socket.create_connection(address)
    conn.sendall(REQUEST)
    reset(conn)


def close_after_request(address: tuple[str, int]) -> None:
    conn = socket.create_connection(address)
    conn.sendall(REQUEST)
    conn.close()


def half_close_after_request(address: tuple[str, int]) -> None:
    conn = socket.create_connection(address)
    conn.sendall(REQUEST)
    conn.shutdown(socket.SHUT_WR)
    conn.close()


def reset_mid_request_line(address: tuple[str, int]) -> None:
    conn = socket.create_connection(address)
    conn.sendall(b"GET /flags/br/b")
    reset(conn)


def reset_before_sending(address: tuple[str, int]) -> None:
    reset(socket.create_connection(address))


def reset_after_two_requests(address: tuple[str, int]) -> None:
    conn = socket.create_connection(address)
    conn.sendall(REQUEST * 2)  # keep-alive: the second answer meets the reset
    time.sleep(0.06)
    reset(conn)


@pytest.mark.parametrize(
    "hang_up",
    [
        hang_up_after_request,
        close_after_request,
        half_close_after_request,
        reset_mid_request_line,
        reset_before_sending,
        reset_after_two_requests,
    ],
)
def test_clients_that_hang_up_early_leave_no_traceback(hang_up, capfd) -> None:
    with serving(Behaviour(delay=(0.05, 0.05))) as server:
        for _ in range(15):
            hang_up(server.server_address)
        time.sleep(0.3)  # every answer has met its closed socket
        # The server still serves the next client whole.
        with socket.create_connection(server.server_address, timeout=5) as conn:
            conn.sendall(REQUEST.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK")
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) <= 15
