"""A small HTTP/1.1 server on 127.0.0.1 for the browser sign-ins; it answers from a pure route and never logs.

Anything on this machine can connect, so no client may hold it up: one thread
reads every connection without blocking, each connection gets
``CLIENT_SECONDS`` in all to send its request head and take its answer (a
client dripping a byte at a time is cut off then), at most
``MAX_CONNECTIONS`` stay open (the oldest is dropped for a new one), and one
request is answered per connection. The loop runs on a daemon thread from
:meth:`LoopbackServer.start` to :meth:`LoopbackServer.close`, so the caller's
thread keeps the sign-in's deadline, and a browser command that blocks until
it exits (``BROWSER=w3m``) still gets its pages. Nothing is logged: request
lines carry authorization codes and one-time paths.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http
import selectors
import socket
import threading
import time
from collections.abc import Callable

from awsafe.server.acceptor import Acceptor, open_listener

LOOPBACK = "127.0.0.1"
CLIENT_SECONDS = 5.0  # for the whole exchange on one connection, however the client paces it
MAX_CONNECTIONS = 32
MAX_REQUEST_HEAD = 16384
END_OF_HEAD = b"\r\n\r\n"

_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>awsafe</title></head>'
    "<body><h1>{title}</h1><p>{text}</p></body></html>"
)


def render_page(title: str, text: str) -> str:
    """The whole HTML page of an answer; title and text are awsafe's own words, never input."""
    return _PAGE.format(title=title, text=text)


BAD_REQUEST_PAGE = render_page("Bad request", "This is not the sign-in awsafe is waiting for.")
NOT_FOUND_PAGE = render_page("Not found", "Nothing here.")


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    target: str = dataclasses.field(repr=False)  # may hold an authorization code or a one-time path
    host: str | None  # None when missing or sent more than once


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    page: str
    location: str | None = dataclasses.field(default=None, repr=False)


Route = Callable[[Request], Reply]


def names_port(host: str | None, port: int) -> bool:
    """True when a ``Host`` header names this loopback port; a rebinding web page sends its own name."""
    return (host or "").lower() in (f"{LOOPBACK}:{port}", f"localhost:{port}")


def parse_request(head: bytes) -> Request | None:
    """The request line and ``Host`` of a request head (without the blank line); None if malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1]:
        return None
    hosts = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            return None
        if name.lower() == "host":
            hosts.append(value.strip())
    return Request(parts[0], parts[1], hosts[0] if len(hosts) == 1 else None)


def render_reply(reply: Reply) -> bytes:
    """The whole HTTP answer; never cached, never sent on as a referrer, the connection closed after."""
    body = reply.page.encode()
    lines = [
        f"HTTP/1.1 {reply.status} {http.HTTPStatus(reply.status).phrase}",
        "Content-Type: text/html; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Cache-Control: no-store",
        "Referrer-Policy: no-referrer",
        "X-Content-Type-Options: nosniff",
        "Connection: close",
    ]
    if reply.location is not None:
        lines.append(f"Location: {reply.location}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer(route: Route, head: bytes) -> Reply:
    """What to answer to a request head: the route's reply to a well-formed GET, else a refusal."""
    request = parse_request(head)
    if request is None:
        return Reply(400, BAD_REQUEST_PAGE)
    if request.method != "GET":
        return Reply(405, NOT_FOUND_PAGE)
    return route(request)


class _Connection:
    __slots__ = ("sock", "deadline", "inbox", "outbox")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.inbox = b""
        self.outbox: bytes | None = None  # set once the request is answered


class LoopbackServer:
    """Listens on 127.0.0.1 at a port the system picks; ``start`` it, ``close`` it (or use ``with``)."""

    def __init__(self, route: Route) -> None:
        self._route = route
        listener = open_listener(LOOPBACK, 0)
        try:
            self._wake_reader, self._wake_writer = socket.socketpair()
        except OSError:
            listener.close()
            raise
        # Out of descriptors, accept() fails while the client waits in the backlog: the shared
        # acceptor neither spins on that nor gives up on the browser (a spare descriptor).
        self._acceptor = Acceptor(listener, self._admit, self._evict_oldest)
        self._listener = listener
        self.port = int(self._listener.getsockname()[1])
        self._selector = selectors.DefaultSelector()
        self._acceptor.watch(self._selector, None)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._connections: dict[socket.socket, _Connection] = {}  # oldest first
        self._answered = threading.Event()
        self._stopping = False
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="awsafe-loopback", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, seconds: float) -> None:
        """Return once a request was answered since the last call, or after ``seconds``.

        A bug in the route stops the loop; it is raised here, in the caller's thread.
        """
        self._answered.wait(max(0.0, seconds))
        self._answered.clear()
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        """Stop serving; once this returns the port refuses connections."""
        if self._thread.is_alive():
            self._stopping = True
            with contextlib.suppress(OSError):
                self._wake_writer.send(b"x")
            self._thread.join()
        for connection in list(self._connections.values()):
            self._drop(connection)
        self._selector.close()
        self._acceptor.close()
        for sock in (self._wake_reader, self._wake_writer):
            sock.close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _loop(self) -> None:
        try:
            while not self._stopping:
                self._turn()
        except BaseException as e:  # a bug: reported by wait() in the caller's thread
            self._failure = e
            self._answered.set()

    def _turn(self) -> None:
        deadlines = [c.deadline for c in self._connections.values()]
        if self._acceptor.paused_until:
            deadlines.append(self._acceptor.paused_until)
        nearest = min(deadlines, default=None)
        timeout = None if nearest is None else max(0.0, nearest - time.monotonic())
        for key, events in self._selector.select(timeout):
            if key.fileobj is self._listener:
                self._acceptor.accept()
            elif key.fileobj is self._wake_reader:
                self._stopping = True
            elif events & selectors.EVENT_WRITE:
                self._send(key.data)
            else:
                self._receive(key.data)
        now = time.monotonic()
        for connection in [c for c in self._connections.values() if c.deadline <= now]:
            self._drop(connection)
        self._acceptor.resume_if_due(now)

    def _admit(self, sock: socket.socket, peer: object) -> None:
        if len(self._connections) >= MAX_CONNECTIONS:
            # A flood must not lock out the browser, which sends its request at once.
            self._evict_oldest()
        connection = _Connection(sock, time.monotonic() + CLIENT_SECONDS)
        self._connections[sock] = connection
        self._selector.register(sock, selectors.EVENT_READ, connection)

    def _evict_oldest(self) -> bool:
        """Drop the oldest connection to free a descriptor; False when there is none."""
        oldest = next(iter(self._connections.values()), None)
        if oldest is None:
            return False
        self._drop(oldest)
        return True

    def _receive(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        connection.inbox += data
        end = connection.inbox.find(END_OF_HEAD)
        if end < 0:
            if len(connection.inbox) > MAX_REQUEST_HEAD:
                self._drop(connection)
            return
        reply = answer(self._route, connection.inbox[:end])
        connection.outbox = render_reply(reply)
        self._selector.modify(connection.sock, selectors.EVENT_WRITE, connection)
        self._send(connection)
        self._answered.set()

    def _send(self, connection: _Connection) -> None:
        assert connection.outbox is not None
        try:
            sent = connection.sock.send(connection.outbox)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            sent = len(connection.outbox)  # the client went away: nothing left to do for it
        connection.outbox = connection.outbox[sent:]
        if not connection.outbox:
            self._drop(connection)

    def _drop(self, connection: _Connection) -> None:
        self._connections.pop(connection.sock, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection.sock)
        with contextlib.suppress(OSError):
            connection.sock.close()
