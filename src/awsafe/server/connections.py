"""The bounds on a local endpoint's connections: how many, per peer, how long idle, and who goes first.

A flood of idle connections must not lock out the SDK that holds the token. On
loopback every attacker and the real client share one peer address, so refusing
new connections at a cap would refuse the real client too. Instead a new
connection is always accepted and, at the cap, the oldest connection the loop is
waiting on goes: first those that never got a successful answer, then idle
keep-alive ones. A real client sends its request the moment it connects, so it is
being answered (never a victim) while older idle ones are closed. Connections
being answered by a worker are counted but never evicted. No sockets are opened
here; the loop (``listener``) closes what this table hands back.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import sys
from typing import Any

if sys.platform != "win32":
    import resource

WINDOWS_SOCKETS = 512  # select()'s FD_SETSIZE in CPython on Windows: no RLIMIT_NOFILE there
RESERVED_DESCRIPTORS = 64  # left for STS calls, the vault, logs: not for clients
MIN_CONNECTIONS = 8
MAX_CONNECTIONS = 4096  # beyond this an attacker buys nothing but our memory
DESCRIPTOR_TARGET = 8192  # the soft RLIMIT_NOFILE `awsafe server` asks for (within the hard limit)
PEER_SHARE = 4  # off loopback, one peer (a container) may hold at most 1/4 of the connections


class Connection:
    """One client connection: its socket, what it sent so far, and when the loop began waiting on it."""

    __slots__ = ("sock", "peer", "host", "buffer", "scanned", "parked_at", "served", "counted")

    def __init__(self, sock: socket.socket, peer: tuple[Any, ...]) -> None:
        self.sock = sock
        self.peer = peer
        self.host = str(peer[0])
        self.buffer = bytearray()
        self.scanned = 0  # bytes of buffer already searched for the end of the head
        self.parked_at = 0.0
        self.served = False  # got a 2xx answer: an SDK, not a flood (evicted last)
        self.counted = False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def resolve_connection_limit(soft_descriptors: int) -> int:
    """How many client connections fit under a soft RLIMIT_NOFILE, leaving room for everything else."""
    if soft_descriptors < 0:  # RLIM_INFINITY
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft_descriptors - RESERVED_DESCRIPTORS))


def read_descriptor_limit() -> int:
    """The soft RLIMIT_NOFILE, -1 for unlimited."""
    if sys.platform == "win32":
        return WINDOWS_SOCKETS
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return -1 if soft == resource.RLIM_INFINITY else soft


def raise_descriptor_limit(target: int = DESCRIPTOR_TARGET) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``target`` within the hard limit (never lower it); the result.

    For a process that serves and has no child: a child would inherit the raised limit
    (and a program using select() breaks past 1024 descriptors), so `exec` does not call this.
    """
    if sys.platform == "win32":
        return WINDOWS_SOCKETS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # e.g. macOS below an unlimited hard limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return read_descriptor_limit()


class ConnectionTable:
    """Every open connection, counted per peer; those the loop waits on, oldest first; the deadlines.

    Used by the loop thread only. ``idle_seconds``: a connection that has sent nothing
    of its next request; ``head_seconds``: the whole request head, counted from the
    moment the loop began waiting (one byte every 0.5 s does not extend it).
    """

    def __init__(self, limit: int, per_peer: int, *, idle_seconds: float, head_seconds: float) -> None:
        self.limit = limit
        self.per_peer = min(per_peer, limit)
        self.idle_seconds = idle_seconds
        self.head_seconds = max(head_seconds, idle_seconds)
        self._total = 0
        self._open: collections.Counter[str] = collections.Counter()
        # Per (peer, served): the connections waited on, in the order the waits began.
        self._waiting: dict[tuple[str, bool], dict[Connection, None]] = {}

    def __len__(self) -> int:
        return self._total

    def waiting(self) -> int:
        return sum(len(queue) for queue in self._waiting.values())

    def has_room(self, host: str) -> bool:
        return self._total < self.limit and self._open[host] < self.per_peer

    def add(self, connection: Connection) -> None:
        connection.counted = True
        self._total += 1
        self._open[connection.host] += 1

    def park(self, connection: Connection, now: float) -> None:
        """The loop waits for this connection's next request from ``now`` on."""
        connection.parked_at = now
        self._waiting.setdefault((connection.host, connection.served), {})[connection] = None

    def unpark(self, connection: Connection) -> None:
        """A complete request arrived: no longer waited on (and no longer a victim)."""
        queue = self._waiting.get((connection.host, connection.served))
        if queue is not None:
            queue.pop(connection, None)
            if not queue:
                del self._waiting[(connection.host, connection.served)]

    def discard(self, connection: Connection) -> None:
        """The connection is closed (or about to be): forget it. Safe to call twice."""
        self.unpark(connection)
        if connection.counted:
            connection.counted = False
            self._total -= 1
            self._open[connection.host] -= 1
            if self._open[connection.host] <= 0:
                del self._open[connection.host]

    def pop_victim(self, host: str | None = None) -> Connection | None:
        """The connection to close to make room (forgotten already): for ``host`` at its per-peer
        bound, that peer's oldest; else the oldest of the peer holding the most connections.
        None when every candidate is being answered by a worker."""
        if host is not None and self._open[host] >= self.per_peer:
            peers = [host]
        else:
            peers = [peer for peer, _ in self._open.most_common()]
        for peer in peers:
            for served in (False, True):
                queue = self._waiting.get((peer, served))
                if queue:
                    victim = next(iter(queue))
                    self.discard(victim)
                    return victim
        return None

    def pop_expired(self, now: float) -> list[Connection]:
        """Connections past their deadline, forgotten; the scan stops at the first one too young."""
        late = []
        for queue in self._waiting.values():
            for connection in queue:
                if connection.parked_at + self.idle_seconds > now:
                    break  # waited on later: neither deadline can have passed
                timeout = self.head_seconds if connection.buffer else self.idle_seconds
                if connection.parked_at + timeout <= now:
                    late.append(connection)
        for connection in late:
            self.discard(connection)
        return late
