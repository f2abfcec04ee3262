"""The socket layer of the local endpoints: an HTTP/1.1 server with tight limits and quiet logs.

One event-loop thread owns every socket: it accepts, reads requests without
blocking, and closes connections that idle or dribble. A complete request head
goes to a ``workers.WorkerPool``, whose thread parses it and calls the handler
(``http1``) and sends the whole answer in one write; the connection then comes
back to the loop for its next request.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import logging
import selectors
import socket
import sys
import threading
import time
import traceback
from typing import Any

from awsafe.errors import ServerError
from awsafe.server import http1
from awsafe.server.http1 import END_OF_HEAD, Handler, render_request_line
from awsafe.server.routes import Response
from awsafe.server.workers import STALL_SECONDS, WorkerPool

__all__ = ["LocalServer", "render_request_line"]

log = logging.getLogger("awsafe")

MAX_REQUEST_HEAD = 65536  # request line and headers together; no route takes a body
CLIENT_TIMEOUT_SECONDS = 5.0  # a whole request head must arrive within this; idle connections close
LISTEN_BACKLOG = 128  # SDK fleets connect in bursts: socketserver's 5 dropped SYNs (1 s retransmits)


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
        self._pool: WorkerPool[_Connection] = WorkerPool(self._serve_one, "awsafe-server-worker")
        self._pending = 0  # requests queued or being answered (the loop's view)
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
        self._pool.stop()

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
                    self._pool.grow_if_stalled(now)
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
        if END_OF_HEAD in connection.buffer:  # pipelined: already here
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
        end = connection.buffer.find(END_OF_HEAD)
        if 0 <= end <= MAX_REQUEST_HEAD:
            self._selector.unregister(connection.sock)
            self._dispatch(connection)
        elif len(connection.buffer) > MAX_REQUEST_HEAD:
            self._selector.unregister(connection.sock)
            self._refuse(connection, 431, "Request Header Fields Too Large", "request head too large")

    def _refuse(self, connection: _Connection, status: int, reason: str, message: str) -> None:
        response = Response.error(status, reason.replace(" ", ""), message)
        with contextlib.suppress(OSError):
            connection.sock.send(http1.error_bytes(status, reason, response))
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

    # -- on a worker ------------------------------------------------------------------------------

    def _dispatch(self, connection: _Connection) -> None:
        self._pending += 1
        self._pool.submit(connection)

    def _serve_one(self, connection: _Connection) -> None:
        keep = False  # a bug in a handler: the pool reports it; the connection is dropped
        try:
            keep = self._answer(connection)
        finally:
            if not keep or self._stopping.is_set():
                connection.close()
            self._returned.append(connection)  # the loop counts it back in (and parks it if open)
            self._wake()

    def _answer(self, connection: _Connection) -> bool:
        """Answer the request at the head of the buffer; whether the connection stays open."""
        end = connection.buffer.index(END_OF_HEAD) + len(END_OF_HEAD)
        head, connection.buffer = connection.buffer[:end], connection.buffer[end:]
        answer = http1.answer(head, connection.peer, self._handle)
        try:
            try:
                sent = connection.sock.send(answer.data)
            except BlockingIOError:
                sent = 0
            if sent < len(answer.data):  # the client is not reading: give it the timeout, no more
                connection.sock.settimeout(CLIENT_TIMEOUT_SECONDS)
                connection.sock.sendall(answer.data[sent:])
                connection.sock.setblocking(False)
        except OSError:
            return False
        return answer.keep_open


def _bind_hint(error: OSError) -> str | None:
    if error.errno == errno.EADDRNOTAVAIL:
        return "that address is not assigned to this machine (see `ip addr`)"
    if error.errno == errno.EACCES:
        return "ports below 1024 need root or CAP_NET_BIND_SERVICE; or leave --port out for a random one"
    if error.errno == errno.EADDRINUSE:
        return "another program listens there; choose another --port, or leave it out for a random one"
    return None
