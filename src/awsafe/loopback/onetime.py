"""One-time loopback URLs: a browser gets ``http://127.0.0.1:PORT/<256 random bits>``, not the real URL.

A command line is readable by every local user (``/proc/PID/cmdline``), and
the URLs of the sign-ins are secrets or carry them: the console sign-in token
of `login`, the ``state`` and PKCE challenge of an SSO sign-in. So the
browser's argv gets a one-time URL; the first GET of exactly that path, with a
``Host`` naming the port, is answered ``303`` to the real URL, and every later
request gets a 404. That moves the secret from argv to one loopback answer: a
local process that reads the one-time URL from argv and fetches it before the
browser does still gets the real URL, and the browser then gets a 404.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time

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

REDIRECT_PAGE = render_page("Redirecting", "Your browser is being sent on to the sign-in page.")


class OneTimeRedirect:
    """A random path answering one GET with a redirect to ``target``; a route for a LoopbackServer."""

    def __init__(self, target: str, port: int) -> None:
        if not target.isascii() or not target.isprintable() or " " in target:
            raise ValueError("a redirect target must be a URL of printable ASCII without spaces")
        self._target = target
        self._port = port
        self._path = "/" + secrets.token_urlsafe(32)
        self._used = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._port}{self._path}"

    @property
    def used(self) -> bool:
        return self._used.is_set()

    def route(self, request: Request) -> Reply | None:
        """The redirect for the first GET of the path; a 404 for it later; None for any other target."""
        if not hmac.compare_digest(request.target.encode("latin-1"), self._path.encode()):
            return None
        if not names_port(request.host, self._port):
            return Reply(400, BAD_REQUEST_PAGE)  # not used up: a rebinding page must not burn it
        if self._used.is_set():
            return Reply(404, NOT_FOUND_PAGE)
        self._used.set()
        return Reply(303, REDIRECT_PAGE, location=self._target)


class RedirectServer:
    """A loopback server with one one-time redirect to ``target`` and nothing else (`login`)."""

    def __init__(self, target: str) -> None:
        self._server = LoopbackServer(self._route)
        try:
            self._redirect = OneTimeRedirect(target, self._server.port)
        except ValueError:
            self._server.close()
            raise
        self._server.start()

    @property
    def url(self) -> str:
        return self._redirect.url

    def _route(self, request: Request) -> Reply:
        return self._redirect.route(request) or Reply(404, NOT_FOUND_PAGE)

    def wait_until_used(self, seconds: float) -> bool:
        """True once the browser has been redirected; False if that did not happen within ``seconds``."""
        deadline = time.monotonic() + seconds
        while not self._redirect.used:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._server.wait(remaining)
        return True

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> RedirectServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
