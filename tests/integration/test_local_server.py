"""LocalServer on a real loopback socket: headers on the wire, the debug line, bind errors."""

from __future__ import annotations

import http.client
import logging

import pytest

from awsafe.errors import ServerError
from awsafe.server.listener import LocalServer, render_request_line
from awsafe.server.routes import Request, Response

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
