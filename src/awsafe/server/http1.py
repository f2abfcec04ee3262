"""HTTP/1.1 for one buffered request: parse it, call the handler, frame the answer; no socket.

With --debug, one line per request (method, path, status) and never a header: tokens travel there.
"""

from __future__ import annotations

import http.server
import io
import logging
from collections.abc import Callable
from typing import Any

from awsafe.server.routes import Request, Response

log = logging.getLogger("awsafe")

Handler = Callable[[Request], Response]
END_OF_HEAD = b"\r\n\r\n"
MAX_REQUEST_LINE = 8192
LOGGED_PATH_LENGTH = 200


def render_request_line(method: str, path: str, status: int) -> str:
    """The one debug line per request: method, path without its query, status; never a header.

    Tokens and keys travel in headers only; the query is dropped in case a client put one
    there anyway, and unprintable characters are masked (a local client chooses the path).
    """
    bare = path.split("?", 1)[0][:LOGGED_PATH_LENGTH]
    shown = "".join(c if c.isprintable() else "?" for c in bare)
    return f"endpoint: {method} {shown} -> {status}"


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    """Parses one buffered request and writes its answer to a buffer; no socket of its own."""

    server_version = "awsafe"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def __init__(self, head: bytes, peer: tuple[Any, ...], respond: Handler) -> None:
        # Deliberately not BaseRequestHandler.__init__: the event loop owns the socket.
        self.rfile = io.BytesIO(head)
        self.wfile = self._out = io.BytesIO()
        self.client_address = peer  # (host, port), or IPv6's 4-tuple
        self._respond = respond
        self.close_connection = True

    def answer(self) -> bytes:
        self.handle_one_request()
        return self._out.getvalue()

    def _serve(self) -> None:
        if len(self.requestline) > MAX_REQUEST_LINE:
            self._send(Response.error(414, "URITooLong", "request line too long"))
            return
        if self.headers.get("content-length") not in (None, "0") or "transfer-encoding" in self.headers:
            self._send(Response.error(413, "PayloadTooLarge", "requests carry no body"))
            self.close_connection = True
            return
        request = Request(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            peer=self.client_address[0],
        )
        response = self._respond(request)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", render_request_line(request.method, request.path, response.status))
        self._send(response)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        pass  # no stock access log: it would hold role ARNs and timing; --debug has _serve's line


def answer(head: bytes, peer: tuple[Any, ...], handle: Handler) -> tuple[bytes, bool]:
    """The bytes answering the request ``head``, and whether the connection may stay open."""
    handler = _RequestHandler(head, peer, handle)
    return handler.answer(), not handler.close_connection


def error_bytes(status: int, reason: str, response: Response) -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(response.body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    ).encode() + response.body
