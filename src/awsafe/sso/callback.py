"""The one-shot redirect listener of the PKCE sign-in: 127.0.0.1 only, one path, one expected state.

The browser lands on ``http://127.0.0.1:PORT/oauth/callback?code=..&state=..``
after the user signs in. Anything on this machine can reach the port, so a
request counts only with the exact ``state`` this sign-in made up (compared in
constant time) and a ``Host`` naming the loopback port (a web page that points
a rebinding DNS name at 127.0.0.1 sends its own name). Routing is a pure
function (:func:`route_callback`); the socket layer around it is a
``socketserver`` driven from the caller's thread, one request per
:meth:`RedirectListener.wait`, so the caller keeps the deadline and the spinner.
Nothing is logged: the query carries the authorization code.
"""

from __future__ import annotations

import dataclasses
import hmac
import http.server
import re
import socketserver
import urllib.parse
from typing import Any

CALLBACK_PATH = "/oauth/callback"
LOOPBACK = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 2.0  # a browser's idle pre-connection must not stall the wait for long
_SAFE_ERROR = re.compile(r"[A-Za-z0-9_.-]{1,64}")

_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>awsafe</title></head>'
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)
SIGNED_IN_PAGE = _PAGE.format(title="Signed in", text="awsafe has the sign-in. You can close this window.")
DENIED_PAGE = _PAGE.format(
    title="Sign-in not completed", text="awsafe did not get the sign-in. See the terminal."
)
BAD_REQUEST_PAGE = _PAGE.format(title="Bad request", text="This is not the sign-in awsafe is waiting for.")
NOT_FOUND_PAGE = _PAGE.format(title="Not found", text="Nothing here.")


@dataclasses.dataclass(frozen=True)
class Callback:
    """What the browser brought back: a code to exchange, or the error the sign-in page reported."""

    code: str | None = dataclasses.field(default=None, repr=False)
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    page: str
    callback: Callback | None = None


def route_callback(target: str, host: str | None, *, state: str, port: int) -> Answer:
    """The answer to ``GET target`` with header ``Host: host``; a callback only for the right state."""
    if (host or "").lower() not in (f"{LOOPBACK}:{port}", f"localhost:{port}"):
        return Answer(400, BAD_REQUEST_PAGE)
    parts = urllib.parse.urlsplit(target)
    if parts.path != CALLBACK_PATH:
        return Answer(404, NOT_FOUND_PAGE)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    states = query.get("state", [])
    if len(states) != 1 or not hmac.compare_digest(states[0].encode(), state.encode()):
        return Answer(400, BAD_REQUEST_PAGE)
    errors = query.get("error", [])
    if errors:
        # Shown to the user in the LoginError: keep it to a plain OAuth error code.
        error = errors[0] if _SAFE_ERROR.fullmatch(errors[0]) else "error"
        return Answer(200, DENIED_PAGE, Callback(error=error))
    codes = query.get("code", [])
    if len(codes) != 1 or not codes[0]:
        return Answer(400, BAD_REQUEST_PAGE)
    return Answer(200, SIGNED_IN_PAGE, Callback(code=codes[0]))


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        answer = route_callback(
            self.path, self.headers.get("Host"), state=self.server.state, port=self.server.port
        )
        if answer.callback is not None and self.server.result is None:
            self.server.result = answer.callback
        body = answer.page.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line holds the authorization code."""


class _Server(socketserver.TCPServer):
    def __init__(self, state: str) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.state = state
        self.port = int(self.socket.getsockname()[1])
        self.result: Callback | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent: a browser that hangs up early is no reason for a traceback."""


class RedirectListener:
    """Listens on 127.0.0.1 on a port the system picks; close it (or use ``with``) when done."""

    def __init__(self, state: str) -> None:
        self._server = _Server(state)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK}:{self._server.port}{CALLBACK_PATH}"

    def wait(self, seconds: float) -> Callback | None:
        """Answer at most one request arriving within ``seconds``; its callback if it was the one."""
        self._server.timeout = max(0.0, seconds)
        self._server.handle_request()
        result, self._server.result = self._server.result, None
        return result

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> RedirectListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
