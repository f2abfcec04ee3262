"""LocalServer on a real loopback socket: headers on the wire, the debug line, bind errors, floods."""

from __future__ import annotations

import http.client
import logging
import re
import socket

import pytest

from awsafe.errors import ServerError
from awsafe.server.listener import LocalServer, render_request_line
from awsafe.server.routes import EcsRoutes, Request, Response

SECRET = "canary-token-0123456789"


def test_content_type_and_extra_headers_reach_the_client(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response.text("hello", headers=(("X-Extra", "1"),))

    server = LocalServer(handle).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        with caplog.at_level(logging.DEBUG, logger="awsafe"):
            connection.request("PUT", f"/latest/api/token?key={SECRET}", headers={"X-Token": SECRET})
            response = connection.getresponse()
            body = response.read()
        connection.close()
    finally:
        server.stop()
    assert (response.status, body) == (200, b"hello")
    assert response.getheader("Content-Type") == "text/plain" and response.getheader("X-Extra") == "1"
    assert seen[0].headers["x-token"] == SECRET
    assert "endpoint: PUT /latest/api/token -> 200" in caplog.text
    assert SECRET not in caplog.text


def test_request_line_masks_unprintable_characters_and_drops_the_query() -> None:
    line = render_request_line("GET", "/a\x1b[31mb?token=x", 404)
    assert line == "endpoint: GET /a?[31mb -> 404"


def test_an_address_not_on_this_machine_is_a_server_error_with_a_hint() -> None:
    with pytest.raises(ServerError) as raised:
        LocalServer(lambda request: Response.text(""), host="192.0.2.1")  # TEST-NET-1: never assigned
    assert "192.0.2.1" in raised.value.message and "not assigned" in (raised.value.hint or "")


def test_stopping_a_server_that_never_started_returns() -> None:
    LocalServer(lambda request: Response.text("")).stop()


# -- framing and refusals (issue 10) ----------------------------------------------------------------

TOKEN = "t" * 43


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Host: a\r\nHost: b\r\n", 400),
        (b"Host: a\r\nhost: a\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n", 400),
        (b"Host: a\r\nContent-Length: 0, 0\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n", 400),
        (b"Host: a\r\nAuthorization: x\r\nAuthorization: y\r\n", 400),
        (b"Host: a\r\nContent-Length: 5\r\n", 413),
        (b"Host: a\r\nContent-Length: 0\r\n", 200),
    ],
)
def test_ambiguous_framing_is_refused_and_closes_the_connection(headers: bytes, status: int) -> None:
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response.text("ok")

    server = LocalServer(handle).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n" + headers + b"\r\n")
            answer = _read_answer(sock)
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer
    if status != 200:
        assert seen == [] and b"connection: close" in answer.lower()


def test_a_refused_token_closes_the_connection() -> None:
    server = LocalServer(lambda request: routes.handle(request))
    routes = EcsRoutes(TOKEN, lambda: pytest.fail("no credentials for a refused request"), frozenset({"a"}))
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: wrong\r\n\r\n")
            answer = _read_answer(sock)
            closed = sock.recv(100) == b""  # was: kept open for the next guess
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 403 ") and closed


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    length = int(re.search(rb"content-length: *(\d+)", data, re.IGNORECASE).group(1))  # type: ignore[union-attr]
    while len(data) - data.index(b"\r\n\r\n") - 4 < length:
        data += sock.recv(4096)
    return data
