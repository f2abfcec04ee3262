"""The agent's frames: length prefix, version, limits, and what a bad frame becomes."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading

import pytest

from awsafe.agentlink.protocol import (
    MAX_REQUEST,
    PROTOCOL_VERSION,
    Conversation,
    ProtocolError,
    parse_frame,
    read_frame,
    read_peer_uid,
    render_frame,
)


def _pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def test_a_frame_is_a_length_then_json_with_the_version() -> None:
    data = render_frame({"op": "status"}, MAX_REQUEST)
    (size,) = struct.unpack(">I", data[:4])
    assert size == len(data) - 4
    assert json.loads(data[4:]) == {"v": PROTOCOL_VERSION, "op": "status"}


def test_a_message_may_carry_another_version() -> None:
    assert json.loads(render_frame({"v": 7, "op": "stop"}, MAX_REQUEST)[4:])["v"] == 7


def test_round_trip_over_a_socket() -> None:
    left, right = _pair()
    with left, right:
        Conversation(left, receive_limit=10, send_limit=MAX_REQUEST).send({"op": "x", "text": "é" * 100})
        assert read_frame(right, MAX_REQUEST, 1.0) == {"v": 1, "op": "x", "text": "é" * 100}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xff\xfe", "malformed"),
        (b"[1, 2]", "malformed"),
        (b'{"v": 1}', "malformed"),
        (b'{"v": 1, "op": 3}', "malformed"),
        (b'{"v": 2, "op": "status"}', "version"),
        (b'{"op": "status"}', "version"),
        (b'{"v": true, "op": "status"}', "version"),
        (b"not json", "malformed"),
    ],
)
def test_bad_bodies(body: bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_frame(body)
    assert caught.value.code == code


def test_an_oversized_length_is_refused_before_reading_the_body() -> None:
    left, right = _pair()
    with left, right:
        left.sendall(struct.pack(">I", MAX_REQUEST + 1))  # no body follows: reading it would hang
        with pytest.raises(ProtocolError) as caught:
            read_frame(right, MAX_REQUEST, 1.0)
        assert caught.value.code == "oversize"


def test_an_oversized_frame_is_not_sent() -> None:
    with pytest.raises(ProtocolError) as caught:
        render_frame({"op": "x", "blob": "a" * MAX_REQUEST}, MAX_REQUEST)
    assert caught.value.code == "oversize"


def test_a_silent_peer_times_out() -> None:
    left, right = _pair()
    with left, right:
        left.sendall(b"\x00\x00")  # half a header, then nothing
        with pytest.raises(ProtocolError) as caught:
            read_frame(right, MAX_REQUEST, 0.2)
        assert caught.value.code == "timeout"


def test_a_slow_trickle_cannot_outlive_the_deadline() -> None:
    left, right = _pair()
    stop = threading.Event()

    def trickle() -> None:
        left.sendall(struct.pack(">I", 100))
        while not stop.wait(0.05):
            left.sendall(b" ")

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        with pytest.raises(ProtocolError) as caught:
            read_frame(right, MAX_REQUEST, 0.5)  # each recv gets a byte; the whole frame never comes
        assert caught.value.code == "timeout"
    finally:
        stop.set()
        thread.join()
        left.close()
        right.close()


def test_a_closed_peer_is_eof() -> None:
    left, right = _pair()
    left.close()
    with right, pytest.raises(ProtocolError) as caught:
        read_frame(right, MAX_REQUEST, 1.0)
    assert caught.value.code == "eof"


def test_the_peer_uid_comes_from_the_kernel() -> None:
    left, right = _pair()
    with left, right:
        assert read_peer_uid(left) == os.geteuid()
