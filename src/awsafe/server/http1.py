"""HTTP/1.1 for one buffered request: parse it, call the handler, frame the answer; no socket.

Ambiguous framing is refused (400) before any route sees the request: a header the
routes read given twice (one proxy would use the first ``Host``, we the last), two
``Content-Length`` headers or one that is not a number, ``Transfer-Encoding`` with
``Content-Length``. A refused token (401/403) closes the connection: a client that
cannot authenticate holds no keep-alive slot. With --debug, one line per request
(method, path, status) and never a header: tokens travel there.
"""

from __future__ import annotations

import http.server
import io
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from awsafe.server.routes import Request, Response

log = logging.getLogger(__name__)

Handler = Callable[[Request], Response]
END_OF_HEAD = b"\r\n\r\n"
MAX_REQUEST_LINE = 8192
LOGGED_PATH_LENGTH = 200
# Headers a route reads: given twice, which one counts would depend on who parses.
SINGLE_HEADERS = (
    "host",
    "content-length",
    "authorization",
    "x-aws-ec2-metadata-token",
    "x-aws-ec2-metadata-token-ttl-seconds",
)
CLOSING_STATUSES = frozenset({401, 403})


class Answer(NamedTuple):
    data: bytes
    keep_open: bool
    status: int


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
        self.status = 0

    def answer(self) -> bytes:
        self.handle_one_request()
        return self._out.getvalue()

    def send_response(self, code: int, message: str | None = None) -> None:
        self.status = code  # also for the stock errors (400, 501, ...)
        super().send_response(code, message)

    def _framing_error(self) -> Response | None:
        """The request's framing is ambiguous or carries a body: the answer that refuses it."""
        for name in SINGLE_HEADERS:
            if len(self.headers.get_all(name, ())) > 1:
                return Response.error(400, "BadRequest", f"more than one {name} header")
        length = self.headers.get("content-length")
        if length is not None and "transfer-encoding" in self.headers:
            return Response.error(400, "BadRequest", "both Transfer-Encoding and Content-Length")
        digits = None if length is None else length.strip(" \t")
        if digits is not None and not (digits.isascii() and digits.isdigit()):
            return Response.error(400, "BadRequest", "Content-Length is not a number")
        if (digits is not None and digits.strip("0")) or "transfer-encoding" in self.headers:
            return Response.error(413, "PayloadTooLarge", "requests carry no body")
        return None

    def _serve(self) -> None:
        if len(self.requestline) > MAX_REQUEST_LINE:
            self._send(Response.error(414, "URITooLong", "request line too long"))
            return
        refused = self._framing_error()
        if refused is not None:
            self.close_connection = True  # the rest of the stream cannot be trusted
            self._send(refused)
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
        if self.close_connection or response.status in CLOSING_STATUSES:
            self.send_header("Connection", "close")  # the client knows not to reuse it
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        pass  # no stock access log: it would hold role ARNs and timing; --debug has _serve's line


def answer(head: bytes, peer: tuple[Any, ...], handle: Handler) -> Answer:
    """The bytes answering the request ``head``, whether the connection may stay open, the status."""
    handler = _RequestHandler(head, peer, handle)
    data = handler.answer()
    keep_open = not handler.close_connection and handler.status not in CLOSING_STATUSES
    return Answer(data, keep_open, handler.status)


def error_bytes(status: int, reason: str, response: Response) -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(response.body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    ).encode() + response.body
