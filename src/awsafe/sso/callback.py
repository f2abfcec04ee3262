"""The redirect listener of the PKCE sign-in: 127.0.0.1 only, one callback path, one expected state.

The browser lands on ``http://127.0.0.1:PORT/oauth/callback?code=..&state=..``
after the user signs in. Anything on this machine can reach the port, so a
request counts only with the exact ``state`` this sign-in made up (compared in
constant time) and a ``Host`` naming the loopback port (a web page that points
a rebinding DNS name at 127.0.0.1 sends its own name). The same port serves
the one-time URL the browser is started with (``loopback/onetime.py``), so
the authorization URL never appears in a command line. Routing is a pure
function (:func:`route_callback`); the sockets are a ``LoopbackServer``, which
no slow client can hold up, while the caller's thread keeps the deadline and
the spinner. Nothing is logged: the query carries the authorization code.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import threading
import urllib.parse

from awsafe.loopback.onetime import OneTimeRedirect
from awsafe.loopback.server import (
    BAD_REQUEST_PAGE,
    LOOPBACK,
    NOT_FOUND_PAGE,
    LoopbackServer,
    Reply,
    Request,
    names_port,
    render_page,
)

CALLBACK_PATH = "/oauth/callback"
_SAFE_ERROR = re.compile(r"[A-Za-z0-9_.-]{1,64}")

SIGNED_IN_PAGE = render_page("Signed in", "awsafe has the sign-in. You can close this window.")
DENIED_PAGE = render_page("Sign-in not completed", "awsafe did not get the sign-in. See the terminal.")


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
    if not names_port(host, port):
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


class RedirectListener:
    """Listens on 127.0.0.1 on a port the system picks; close it (or use ``with``) when done."""

    def __init__(self, state: str) -> None:
        self._state = state
        self._lock = threading.Lock()
        self._result: Callback | None = None
        self._once: OneTimeRedirect | None = None
        self._server = LoopbackServer(self._route)
        self._server.start()

    @property
    def address(self) -> tuple[str, int]:
        return LOOPBACK, self._server.port

    @property
    def redirect_uri(self) -> str:
        return f"http://{LOOPBACK}:{self._server.port}{CALLBACK_PATH}"

    def redirect_once(self, url: str) -> str:
        """A one-time URL on this listener that redirects the browser to ``url``, for its argv."""
        self._once = OneTimeRedirect(url, self._server.port)
        return self._once.url

    def wait(self, seconds: float) -> Callback | None:
        """The callback, once one with the right state came within ``seconds``; else None."""
        self._server.wait(seconds)
        with self._lock:
            result, self._result = self._result, None
        return result

    def _route(self, request: Request) -> Reply:
        once = self._once
        redirect = once.route(request) if once is not None else None
        if redirect is not None:
            return redirect
        answer = route_callback(request.target, request.host, state=self._state, port=self._server.port)
        if answer.callback is not None:
            with self._lock:
                if self._result is None:
                    self._result = answer.callback
        return Reply(answer.status, answer.page)

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> RedirectListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
