"""The fast path's way to the agent: one request for output already rendered, sent and read
with the C socket module and no json, so a hit imports neither json (nor re and enum with it)
nor socket.py, which together cost about as much as starting the interpreter.

Only the request is written here, and only when every text in it is plain (printable ASCII
without quotes or backslashes, as environment values almost always are): then writing JSON
needs no escaping at all. The agent answers a request that asks for rendered output with a
rendered frame (``protocol.RENDERED``), whose text is printed as it is. Anything else (a
request that is not plain, a JSON frame such as a notice, a decline or an error, a
platform without SO_PEERCRED) goes to the ordinary client (``agentlink.client``), which
imports json and takes over the same connection where this one stopped.
"""

from __future__ import annotations

import _socket
import os
import sys

from awsafe.agentlink.place import describe_unsafe_socket

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from awsafe.agentlink.place import AgentPlace

# Kept equal to agentlink.protocol's (a unit test checks): importing it would import json.
PROTOCOL_VERSION = 1
MAX_REQUEST = 64 * 1024
MAX_REPLY = 256 * 1024
RENDERED = b"R"
CONNECT_TIMEOUT = 0.5
REPLY_TIMEOUT = 2.0


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def render_plain_json(value: object) -> str | None:
    """``value`` (objects with text keys, text, true/false/null) as JSON, or None when a text
    would need escaping (then the caller uses json)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"' if _plain(value) else None
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            item_text = render_plain_json(item)
            if not isinstance(key, str) or not _plain(key) or item_text is None:
                return None
            parts.append(f'"{key}":{item_text}')
        return "{" + ",".join(parts) + "}"
    return None


def _receive(sock: Any, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _peer_is_us(sock: Any) -> bool:
    if not hasattr(_socket, "SO_PEERCRED"):
        return False  # the ordinary client knows the other platforms' ways
    raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # struct ucred: 3 ints
    return int.from_bytes(raw[4:8], sys.byteorder) == os.geteuid()


def ask_agent_rendered(
    place: AgentPlace, message: dict[str, Any], on_notice: Callable[[str], None]
) -> dict[str, Any] | None:
    """The agent's final reply to ``message``, a request with ``"render"`` set:
    ``{"op": "rendered", "text": ...}`` on a hit, any other final frame as the ordinary
    client returns it, or None (no usable agent: do what you would without one)."""
    body = render_plain_json({"v": PROTOCOL_VERSION, **message})
    if body is None or describe_unsafe_socket(place) is not None:
        return _ordinary(place, message, on_notice)
    data = body.encode("ascii")
    if len(data) > MAX_REQUEST:
        return _ordinary(place, message, on_notice)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(place.socket)
        if not _peer_is_us(sock):
            sock.close()
            return _ordinary(place, message, on_notice)
        sock.settimeout(REPLY_TIMEOUT)
        sock.sendall(len(data).to_bytes(4, "big") + data)
        header = _receive(sock, 4)
        size = int.from_bytes(header, "big") if header else MAX_REPLY + 1
        reply = _receive(sock, size) if size <= MAX_REPLY else None
    except OSError:  # refused (a stale socket), timed out (a hung agent), reset (a dead one)
        sock.close()
        return None
    if reply is None:
        sock.close()
        return None
    if reply[:2] == RENDERED + bytes([PROTOCOL_VERSION]):
        sock.close()
        try:
            return {"op": "rendered", "text": reply[2:].decode("utf-8")}
        except UnicodeDecodeError:
            return None
    return _go_on(sock, reply, on_notice)


def _ordinary(
    place: AgentPlace, message: dict[str, Any], on_notice: Callable[[str], None]
) -> dict[str, Any] | None:
    from awsafe.agentlink.client import ask_agent

    return ask_agent(place, message, on_notice=on_notice)


def _go_on(sock: Any, body: bytes, on_notice: Callable[[str], None]) -> dict[str, Any] | None:
    """A JSON frame came first (a heartbeat while the agent works, a decline, an error): let the
    ordinary client read it and follow the rest of the conversation on this connection."""
    import socket

    from awsafe.agentlink.client import follow
    from awsafe.agentlink.protocol import ProtocolError, parse_frame

    whole = socket.socket(fileno=sock.detach())
    try:
        try:
            frame = parse_frame(body)
        except ProtocolError:
            return None
        return follow(whole, frame, on_notice=on_notice)
    finally:
        whole.close()
