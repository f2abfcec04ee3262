"""The socket layer of the local endpoints: an HTTP/1.1 server with tight limits and quiet logs.

One event-loop thread owns every socket: it accepts, reads requests without
blocking, and closes connections that idle or dribble. A complete request head
goes to a small pool of worker threads, which parse it with the standard
library's ``BaseHTTPRequestHandler``, call the handler, and send the whole answer
in one write. Why not a thread per connection: under load (32 keep-alive clients
on 2 cores) CPython's GIL is handed out unfairly among that many threads, and
some clients waited for seconds (p99 in the hundreds of milliseconds). A few
threads fed from one FIFO queue keep the wait bounded. The pool grows only when
its workers stop finishing requests (a handler blocked on an STS call or an MFA
prompt), so a slow refresh never stops the other routes.

With --debug, one line per request (method, path, status) and never a header: tokens travel there.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import http.server
import io
import logging
import queue
import selectors
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from awsafe.errors import ServerError
from awsafe.server.routes import Request, Response

log = logging.getLogger("awsafe")

Handler = Callable[[Request], Response]
MAX_REQUEST_LINE = 8192
MAX_REQUEST_HEAD = 65536  # request line and headers together; no route takes a body
CLIENT_TIMEOUT_SECONDS = 5.0  # a whole request head must arrive within this; idle connections close
LISTEN_BACKLOG = 128  # SDK fleets connect in bursts: socketserver's 5 dropped SYNs (1 s retransmits)
MIN_WORKERS = 2
MAX_WORKERS = 64
STALL_SECONDS = 0.05  # queued work and no request finished for this long: the workers are blocked
IDLE_WORKER_SECONDS = 30.0  # a worker beyond MIN_WORKERS with nothing to do this long exits
LOGGED_PATH_LENGTH = 200

_END_OF_HEAD = b"\r\n\r\n"


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


class _Connection:
    __slots__ = ("sock", "peer", "buffer", "deadline")

    def __init__(self, sock: socket.socket, peer: tuple[Any, ...]) -> None:
        self.sock = sock
        self.peer = peer
        self.buffer = b""
        self.deadline = 0.0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _error_bytes(status: int, reason: str, response: Response) -> bytes:
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(response.body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    ).encode() + response.body


class LocalServer:
    """Serve ``handle`` on ``host`` (loopback by default) at a random port, on daemon threads."""

    def __init__(self, handle: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._handle = handle
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.bind((host, port))
            self._listener.listen(LISTEN_BACKLOG)
            self._listener.setblocking(False)
        except OSError as e:
            self._listener.close()
            raise ServerError(f"cannot listen on {host} port {port}: {e.strerror}", hint=_bind_hint(e)) from e
        self._address = self._listener.getsockname()
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._returned: collections.deque[_Connection] = collections.deque()  # from workers to the loop
        self._jobs: queue.SimpleQueue[_Connection | None] = queue.SimpleQueue()
        self._pending = 0  # jobs queued or running (the loop's view)
        self._lock = threading.Lock()
        self._workers = 0
        self._last_progress = self._queued_since = time.monotonic()  # a worker took or finished a job
        self._stopping = threading.Event()
        self._started = self._closed = False
        self._thread = threading.Thread(target=self._loop, name="awsafe-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def host(self) -> str:
        return str(self._address[0])

    def start(self) -> LocalServer:
        self._started = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection; a handler still running finishes unanswered."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._started:
            self._wake()
            self._thread.join(timeout=10)  # the loop closes everything on its way out
        else:
            self._close_everything()
        self._wake_writer.close()
        with self._lock:
            for _ in range(self._workers):
                self._jobs.put(None)

    # -- the event loop (the only thread that touches the selector) ------------------------------

    def _loop(self) -> None:
        selector = self._selector
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        selector.register(self._wake_reader, selectors.EVENT_READ, "wake")
        next_sweep = time.monotonic() + 1.0
        try:
            while not self._stopping.is_set():
                timeout = STALL_SECONDS if self._pending else 1.0
                for key, _ in selector.select(timeout):
                    try:
                        if key.data == "accept":
                            self._accept()
                        elif key.data == "wake":
                            self._take_returned()
                        else:
                            self._read(key.data)
                    except Exception:  # a bug here must not take the endpoint down
                        traceback.print_exc(file=sys.stderr)
                        if isinstance(key.data, _Connection):
                            self._drop(key.data)
                now = time.monotonic()
                if self._pending:
                    self._grow_if_stalled(now)
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 1.0
        finally:
            self._close_everything()

    def _accept(self) -> None:
        while True:
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. EMFILE: the backlog keeps the client until a descriptor frees up
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answers leave at once
            except OSError:  # reset before we got to it
                sock.close()
                continue
            self._park(_Connection(sock, peer))

    def _park(self, connection: _Connection) -> None:
        """Wait for (the rest of) the next request on this connection."""
        if _END_OF_HEAD in connection.buffer:  # pipelined: already here
            self._dispatch(connection)
            return
        connection.deadline = time.monotonic() + CLIENT_TIMEOUT_SECONDS
        try:
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        except (OSError, ValueError):
            connection.close()

    def _read(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(MAX_REQUEST_HEAD)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        connection.buffer += data
        end = connection.buffer.find(_END_OF_HEAD)
        if 0 <= end <= MAX_REQUEST_HEAD:
            self._selector.unregister(connection.sock)
            self._dispatch(connection)
        elif len(connection.buffer) > MAX_REQUEST_HEAD:
            self._selector.unregister(connection.sock)
            self._refuse(connection, 431, "Request Header Fields Too Large", "request head too large")

    def _refuse(self, connection: _Connection, status: int, reason: str, message: str) -> None:
        response = Response.error(status, reason.replace(" ", ""), message)
        with contextlib.suppress(OSError):
            connection.sock.send(_error_bytes(status, reason, response))
        connection.close()

    def _drop(self, connection: _Connection) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection.sock)
        connection.close()

    def _sweep(self, now: float) -> None:
        """Close connections whose request head did not arrive in time (idle or slow clients)."""
        late = [
            key.data
            for key in self._selector.get_map().values()
            if isinstance(key.data, _Connection) and key.data.deadline <= now
        ]
        for connection in late:
            self._selector.unregister(connection.sock)
            if connection.buffer:
                self._refuse(connection, 408, "Request Timeout", "request not received in time")
            else:
                connection.close()

    def _take_returned(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._returned:
            connection = self._returned.popleft()
            self._pending -= 1
            if connection.sock.fileno() < 0:
                continue  # the worker closed it
            if self._stopping.is_set():
                connection.close()
            else:
                self._park(connection)

    def _close_everything(self) -> None:
        if self._closed:
            return
        self._closed = True
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, _Connection):
                key.data.close()
        self._selector.close()
        for sock in (self._listener, self._wake_reader):
            sock.close()
        while self._returned:
            self._returned.popleft().close()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except (BlockingIOError, InterruptedError):
            pass  # the loop has wake-ups pending anyway
        except OSError:
            pass  # stopped

    # -- workers ------------------------------------------------------------------------------------

    def _dispatch(self, connection: _Connection) -> None:
        if self._jobs.empty():
            self._queued_since = time.monotonic()
        self._pending += 1
        self._jobs.put(connection)
        with self._lock:
            if self._workers < MIN_WORKERS:
                self._spawn_locked()

    def _grow_if_stalled(self, now: float) -> None:
        """Requests wait in the queue and no worker finished one lately: they are all blocked."""
        if self._jobs.empty():
            return  # an idle worker took every request: busy or blocked, nobody is waiting
        with self._lock:
            progress = max(self._last_progress, self._queued_since)
            if now - progress > STALL_SECONDS and self._workers < MAX_WORKERS:
                self._spawn_locked()
                self._last_progress = now  # give the new worker time before another one

    def _spawn_locked(self) -> None:
        self._workers += 1
        threading.Thread(target=self._work, name="awsafe-server-worker", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                connection = self._jobs.get(timeout=IDLE_WORKER_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._workers > MIN_WORKERS:  # grown for a blocked handler, no longer needed
                        self._workers -= 1
                        return
                continue
            if connection is None:
                return
            self._last_progress = time.monotonic()
            try:
                keep = self._answer(connection)
            except Exception:  # a bug in a handler: report it, drop the connection, keep serving
                traceback.print_exc(file=sys.stderr)
                keep = False
            self._last_progress = time.monotonic()
            if not keep or self._stopping.is_set():
                connection.close()
            self._returned.append(connection)  # the loop counts it back in (and parks it if open)
            self._wake()

    def _answer(self, connection: _Connection) -> bool:
        """Answer the request at the head of the buffer; whether the connection stays open."""
        end = connection.buffer.index(_END_OF_HEAD) + len(_END_OF_HEAD)
        head, connection.buffer = connection.buffer[:end], connection.buffer[end:]
        handler = _RequestHandler(head, connection.peer, self._handle)
        answer = handler.answer()
        try:
            try:
                sent = connection.sock.send(answer)
            except BlockingIOError:
                sent = 0
            if sent < len(answer):  # the client is not reading: give it the timeout, no more
                connection.sock.settimeout(CLIENT_TIMEOUT_SECONDS)
                connection.sock.sendall(answer[sent:])
                connection.sock.setblocking(False)
        except OSError:
            return False
        return not handler.close_connection


def _bind_hint(error: OSError) -> str | None:
    if error.errno == errno.EADDRNOTAVAIL:
        return "that address is not assigned to this machine (see `ip addr`)"
    if error.errno == errno.EACCES:
        return "ports below 1024 need root or CAP_NET_BIND_SERVICE; or leave --port out for a random one"
    if error.errno == errno.EADDRINUSE:
        return "another program listens there; choose another --port, or leave it out for a random one"
    return None
