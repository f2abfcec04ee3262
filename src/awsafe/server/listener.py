"""The socket layer of the local endpoints: an HTTP/1.1 server with tight limits and quiet logs.

One event-loop thread owns every socket: it accepts, reads requests without
blocking, and closes connections that idle or dribble. A complete request head
goes to a ``workers.WorkerPool``, whose thread parses it and calls the handler
(``http1``) and sends the whole answer in one write; the connection then comes
back to the loop for its next request.

Floods (``connections``): the number of connections is bounded in total and per
peer; at a bound the oldest idle connection is closed, not the new one. Out of
descriptors, the ``acceptor`` makes room the same way, and never spins.
Nothing blocks the loop or a worker on one client: a client that does not read
its answer is closed.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import sys
import threading
import time
import traceback
from typing import Any

from awsafe.server import http1
from awsafe.server.acceptor import Acceptor, open_listener
from awsafe.server.connections import (
    PEER_SHARE,
    Connection,
    ConnectionTable,
    read_descriptor_limit,
    resolve_connection_limit,
)
from awsafe.server.http1 import END_OF_HEAD, Handler, render_request_line
from awsafe.server.routes import Response, is_loopback
from awsafe.server.workers import STALL_SECONDS, WorkerPool

__all__ = ["LocalServer", "render_request_line"]

log = logging.getLogger(__name__)

MAX_REQUEST_HEAD = 16384  # request line and headers together; SDKs send < 1 KiB, no route takes a body
IDLE_SECONDS = 2.0  # a connection that has sent nothing of its next request closes after this
HEAD_SECONDS = 5.0  # a whole request head must arrive within this, however it trickles in
SWEEP_SECONDS = 0.25  # how often deadlines are checked
_ACCEPT, _WAKE = "accept", "wake"


class LocalServer:
    """Serve ``handle`` on ``host`` (loopback by default) at a random port, on daemon threads.

    ``max_connections`` defaults to what the soft RLIMIT_NOFILE leaves room for;
    ``max_per_peer`` to all of them when ``local_peers_only`` (default: a loopback
    ``host``), since every local client is the same host, and a quarter elsewhere.
    """

    def __init__(
        self,
        handle: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_connections: int | None = None,
        max_per_peer: int | None = None,
        local_peers_only: bool | None = None,
        idle_seconds: float = IDLE_SECONDS,
        head_seconds: float = HEAD_SECONDS,
    ) -> None:
        self._handle = handle
        listener = open_listener(host, port)
        self._address = listener.getsockname()
        self._acceptor = Acceptor(listener, self._admit, lambda: self._evict(None))
        limit = max_connections or resolve_connection_limit(read_descriptor_limit())
        if local_peers_only is None:
            local_peers_only = is_loopback(self.host)
        if max_per_peer is None:
            max_per_peer = limit if local_peers_only else max(1, limit // PEER_SHARE)
        self._table = ConnectionTable(
            limit, max_per_peer, idle_seconds=idle_seconds, head_seconds=head_seconds
        )
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._returned: collections.deque[Connection] = collections.deque()  # from workers to the loop
        self._pool: WorkerPool[Connection] = WorkerPool(self._serve_one, "awsafe-server-worker")
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

    @property
    def max_connections(self) -> int:
        return self._table.limit

    @property
    def max_per_peer(self) -> int:
        return self._table.per_peer

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

    # -- the event loop (the only thread that touches the selector and the table) ----------------

    def _loop(self) -> None:
        selector = self._selector
        self._acceptor.watch(selector, _ACCEPT)
        selector.register(self._wake_reader, selectors.EVENT_READ, _WAKE)
        next_sweep = time.monotonic() + SWEEP_SECONDS
        try:
            while not self._stopping.is_set():
                wake_at = min(next_sweep, self._acceptor.paused_until or next_sweep)
                timeout = max(0.0, wake_at - time.monotonic())
                for key, _ in selector.select(min(timeout, STALL_SECONDS) if self._pending else timeout):
                    try:
                        if key.data == _ACCEPT:
                            self._acceptor.accept()
                        elif key.data == _WAKE:
                            self._take_returned()
                        else:
                            self._read(key.data)
                    except Exception:  # a bug here must not take the endpoint down
                        traceback.print_exc(file=sys.stderr)
                        if isinstance(key.data, Connection):
                            self._close(key.data)
                now = time.monotonic()
                if self._pending:
                    self._pool.grow_if_stalled(now)
                self._acceptor.resume_if_due(now)
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + (SWEEP_SECONDS if len(self._table) else 1.0)  # idle: fewer wake-ups
        finally:
            self._close_everything()

    def _admit(self, sock: socket.socket, peer: Any) -> None:
        """Count the new connection in, closing the oldest idle one at a bound; never refuse it
        while an idle one can go (the real client may be the newest)."""
        connection = Connection(sock, peer)
        while not self._table.has_room(connection.host):
            if not self._evict(connection.host):
                connection.close()  # every connection of this peer is being answered
                return
        self._table.add(connection)
        self._park(connection)

    def _evict(self, host: str | None) -> bool:
        victim = self._table.pop_victim(host)
        if victim is None:
            return False
        self._close(victim)
        return True

    def _park(self, connection: Connection) -> None:
        """Wait for (the rest of) the next request on this connection."""
        if END_OF_HEAD in connection.buffer:  # pipelined: already here
            self._dispatch(connection)
            return
        self._table.park(connection, time.monotonic())
        try:
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        except (OSError, ValueError):
            self._close(connection)

    def _read(self, connection: Connection) -> None:
        try:
            data = connection.sock.recv(MAX_REQUEST_HEAD)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(connection)
            return
        buffer = connection.buffer
        buffer += data
        # Search only what is new (and the 3 bytes before it): a head sent one byte at a
        # time must not cost a scan of the whole buffer per byte.
        end = buffer.find(END_OF_HEAD, max(0, connection.scanned - len(END_OF_HEAD) + 1))
        connection.scanned = len(buffer)
        if 0 <= end <= MAX_REQUEST_HEAD:
            self._selector.unregister(connection.sock)
            self._table.unpark(connection)
            self._dispatch(connection)
        elif len(buffer) > MAX_REQUEST_HEAD:
            self._refuse(connection, 431, "Request Header Fields Too Large", "request head too large")

    def _refuse(self, connection: Connection, status: int, reason: str, message: str) -> None:
        response = Response.error(status, reason.replace(" ", ""), message)
        with contextlib.suppress(OSError):  # non-blocking: what does not fit is lost
            connection.sock.send(http1.error_bytes(status, reason, response))
        self._close(connection)

    def _close(self, connection: Connection) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(connection.sock)
        self._table.discard(connection)
        connection.close()

    def _sweep(self, now: float) -> None:
        """Close connections whose request head did not arrive in time (idle or slow clients)."""
        for connection in self._table.pop_expired(now):
            if connection.buffer:
                self._refuse(connection, 408, "Request Timeout", "request not received in time")
            else:
                self._close(connection)

    def _take_returned(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while self._returned:
            connection = self._returned.popleft()
            self._pending -= 1
            if connection.sock.fileno() < 0 or self._stopping.is_set():
                self._close(connection)  # the worker closed it, or we are stopping
            else:
                self._park(connection)

    def _close_everything(self) -> None:
        if self._closed:
            return
        self._closed = True
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, Connection):
                key.data.close()
        self._selector.close()
        self._acceptor.close()
        self._wake_reader.close()
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

    def _dispatch(self, connection: Connection) -> None:
        self._pending += 1
        self._pool.submit(connection)

    def _serve_one(self, connection: Connection) -> None:
        keep = False  # a bug in a handler: the pool reports it; the connection is dropped
        try:
            keep = self._answer(connection)
        finally:
            if not keep or self._stopping.is_set():
                connection.close()
            self._returned.append(connection)  # the loop counts it back in (and parks it if open)
            self._wake()

    def _answer(self, connection: Connection) -> bool:
        """Answer the request at the head of the buffer; whether the connection stays open."""
        end = connection.buffer.index(END_OF_HEAD) + len(END_OF_HEAD)
        head = bytes(connection.buffer[:end])
        del connection.buffer[:end]
        connection.scanned = 0
        answer = http1.answer(head, connection.peer, self._handle)
        try:
            sent = connection.sock.send(answer.data)
        except OSError:  # BlockingIOError included: its buffer is full of answers it did not read
            return False
        if sent < len(answer.data):
            return False  # a client that does not read its answer gets no worker to wait on it
        if 200 <= answer.status < 300:
            connection.served = True
        return answer.keep_open
