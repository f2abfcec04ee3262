"""ConnectionTable without a loop: the bounds, who is evicted first, the idle and whole-head deadlines."""

from __future__ import annotations

import socket
from typing import cast

from awsafe.server.connections import (
    MAX_CONNECTIONS,
    MIN_CONNECTIONS,
    RESERVED_DESCRIPTORS,
    Connection,
    ConnectionTable,
    resolve_connection_limit,
)


class FakeSocket:
    """The table never touches a connection's socket: only the loop does."""


def connect(table: ConnectionTable, host: str, now: float) -> Connection:
    connection = Connection(cast(socket.socket, FakeSocket()), (host, 40000))
    assert table.has_room(host)
    table.add(connection)
    table.park(connection, now)
    return connection


def test_the_limit_leaves_descriptors_for_everything_else() -> None:
    assert resolve_connection_limit(1024) == 1024 - RESERVED_DESCRIPTORS
    assert resolve_connection_limit(64) == MIN_CONNECTIONS  # EMFILE handling covers the rest
    assert resolve_connection_limit(1_048_576) == MAX_CONNECTIONS
    assert resolve_connection_limit(-1) == MAX_CONNECTIONS  # unlimited


def test_at_the_limit_the_oldest_never_served_connection_goes_first() -> None:
    table = ConnectionTable(3, 3, idle_seconds=2, head_seconds=5)
    sdk = connect(table, "127.0.0.1", now=0.0)
    table.unpark(sdk)  # its request is answered ...
    sdk.served = True
    table.park(sdk, 0.5)  # ... and it waits, keep-alive, for the next one
    flood = [connect(table, "127.0.0.1", now=1.0 + i) for i in range(2)]
    assert not table.has_room("127.0.0.1")
    assert table.pop_victim("127.0.0.1") is flood[0]
    assert table.pop_victim("127.0.0.1") is flood[1]
    assert table.pop_victim("127.0.0.1") is sdk  # only when nothing else is left
    assert len(table) == 0 and table.has_room("127.0.0.1")


def test_a_connection_being_answered_is_never_a_victim() -> None:
    table = ConnectionTable(2, 2, idle_seconds=2, head_seconds=5)
    answering = connect(table, "127.0.0.1", now=0.0)
    table.unpark(answering)
    idle = connect(table, "127.0.0.1", now=1.0)
    assert table.pop_victim("127.0.0.1") is idle
    assert table.pop_victim("127.0.0.1") is None
    assert len(table) == 1


def test_one_peer_at_its_bound_evicts_its_own_and_the_greediest_peer_pays_at_the_total() -> None:
    table = ConnectionTable(5, 3, idle_seconds=2, head_seconds=5)
    honest = connect(table, "172.17.0.2", now=0.0)
    flood = [connect(table, "172.17.0.3", now=1.0 + i) for i in range(3)]
    assert not table.has_room("172.17.0.3") and table.has_room("172.17.0.2")
    assert table.pop_victim("172.17.0.3") is flood[0]  # its own oldest, not the older honest one
    connect(table, "172.17.0.3", now=5.0)
    connect(table, "172.17.0.2", now=6.0)
    assert not table.has_room("172.17.0.4")  # total reached
    assert table.pop_victim("172.17.0.4") is flood[1]  # the peer holding the most, not the oldest
    assert honest.counted


def test_deadlines_idle_and_whole_head() -> None:
    table = ConnectionTable(10, 10, idle_seconds=2, head_seconds=5)
    idle = connect(table, "127.0.0.1", now=0.0)
    slow = connect(table, "127.0.0.1", now=0.0)
    young = connect(table, "127.0.0.1", now=1.0)
    slow.buffer += b"GET / HT"  # bytes keep coming: the head deadline, not a fresh idle one
    assert table.pop_expired(1.9) == []
    assert table.pop_expired(2.0) == [idle]
    assert table.pop_expired(3.5) == [young]
    assert table.pop_expired(4.9) == []
    assert table.pop_expired(5.0) == [slow]
    assert len(table) == 0 and table.waiting() == 0


def test_discard_is_idempotent() -> None:
    table = ConnectionTable(2, 2, idle_seconds=2, head_seconds=5)
    connection = connect(table, "::1", now=0.0)
    table.discard(connection)
    table.discard(connection)
    assert len(table) == 0 and table.has_room("::1")
