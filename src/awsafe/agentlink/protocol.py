"""The agent's wire format: length-prefixed JSON frames, the protocol version, size limits, and
the peer-uid check both ends make; it imports only json, socket, struct, sys and time.

A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one object
with ``"v"`` (the protocol version) and ``"op"``. Requests (client to agent) are at most
64 KiB, replies at most 256 KiB: a larger length is refused before anything is read, so a
hostile peer cannot make either side buffer without bound.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from typing import Any

PROTOCOL_VERSION = 1
MAX_REQUEST = 64 * 1024
MAX_REPLY = 256 * 1024
_HEADER = struct.Struct(">I")
RENDERED = b"R"  # the first byte of a rendered frame; a JSON frame starts with "{"


class ProtocolError(Exception):
    """A frame could not be read or written: ``code`` is eof, timeout, oversize, malformed,
    version or io. Its text never holds frame content (which may be a secret)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def render_frame(message: dict[str, Any], limit: int) -> bytes:
    """The bytes of one frame; ``"v"`` is set to PROTOCOL_VERSION unless the message has its own.

    A ``rendered`` message (the agent's answer to a request that asked for output already
    rendered: ``{"op": "rendered", "text": ...}``) is sent as RENDERED, the version byte and the
    UTF-8 text, so that the fast path can print it without importing json."""
    if message.get("op") == "rendered":
        body = RENDERED + bytes([PROTOCOL_VERSION]) + str(message["text"]).encode("utf-8")
    else:
        framed = {"v": PROTOCOL_VERSION, **message}
        try:
            body = json.dumps(framed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise ProtocolError(
                "malformed", f"a frame could not be encoded ({type(error).__name__})"
            ) from None
    if len(body) > limit:
        raise ProtocolError("oversize", f"a frame of {len(body)} bytes is over the limit of {limit}")
    return _HEADER.pack(len(body)) + body


def parse_frame(body: bytes) -> dict[str, Any]:
    """The message in a frame's body; ProtocolError unless it is a JSON object with a string "op"
    and this protocol's version (code "version" when only the version differs); a rendered
    frame is returned as ``{"v": ..., "op": "rendered", "text": ...}``."""
    if body[:1] == RENDERED:
        return parse_rendered(body)
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("malformed", "a frame is not UTF-8 JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("malformed", "a frame is not a JSON object")
    if message.get("v") != PROTOCOL_VERSION or isinstance(message.get("v"), bool):
        raise ProtocolError("version", f"protocol version {message.get('v')!r}, not {PROTOCOL_VERSION}")
    if not isinstance(message.get("op"), str):
        raise ProtocolError("malformed", 'a frame has no "op"')
    return message


def parse_rendered(body: bytes) -> dict[str, Any]:
    """The message of a rendered frame (RENDERED, the version byte, UTF-8 text)."""
    if body[1:2] != bytes([PROTOCOL_VERSION]):
        raise ProtocolError("version", "a rendered frame of another protocol version")
    try:
        text = body[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("malformed", "a rendered frame is not UTF-8") from None
    return {"v": PROTOCOL_VERSION, "op": "rendered", "text": text}


def _receive_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks = []
    while size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProtocolError("timeout", "no frame in time")
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(size, 65536))
        except TimeoutError:
            raise ProtocolError("timeout", "no frame in time") from None
        except OSError as error:
            raise ProtocolError(
                "io", f"the connection failed ({error.strerror or type(error).__name__})"
            ) from None
        if not chunk:
            raise ProtocolError("eof", "the connection was closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, limit: int, timeout: float) -> dict[str, Any]:
    """The next frame on ``sock``, whole, within ``timeout`` seconds; ProtocolError otherwise."""
    deadline = time.monotonic() + timeout
    (size,) = _HEADER.unpack(_receive_exactly(sock, _HEADER.size, deadline))
    if size > limit:
        raise ProtocolError("oversize", f"a frame of {size} bytes is over the limit of {limit}")
    return parse_frame(_receive_exactly(sock, size, deadline))


def write_frame(sock: socket.socket, message: dict[str, Any], limit: int, timeout: float = 5.0) -> None:
    """Send one frame within ``timeout`` seconds (a peer that stops reading cannot hold us)."""
    data = render_frame(message, limit)
    sock.settimeout(timeout)
    try:
        sock.sendall(data)
    except TimeoutError:
        raise ProtocolError("timeout", "the peer did not read in time") from None
    except OSError as error:
        raise ProtocolError(
            "io", f"the connection failed ({error.strerror or type(error).__name__})"
        ) from None


class Conversation:
    """One connection seen as frames: ``send(frame)`` and ``receive(timeout)``, each with its limit
    (the agent receives requests and sends replies; a client the other way round)."""

    __slots__ = ("sock", "receive_limit", "send_limit")

    def __init__(self, sock: socket.socket, *, receive_limit: int, send_limit: int) -> None:
        self.sock = sock
        self.receive_limit = receive_limit
        self.send_limit = send_limit

    def send(self, frame: dict[str, Any]) -> None:
        write_frame(self.sock, frame, self.send_limit)

    def receive(self, timeout: float) -> dict[str, Any]:
        return read_frame(self.sock, self.receive_limit, timeout)


# <sys/un.h> on macOS: SOL_LOCAL and LOCAL_PEERCRED, giving a struct xucred
# (u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]).
_SOL_LOCAL, _LOCAL_PEERCRED, _XUCRED_SIZE = 0, 1, 76


def peer_credentials_supported() -> bool:
    """Whether :func:`read_peer_uid` can tell who is at the other end of a Unix socket here."""
    return hasattr(socket, "SO_PEERCRED") or sys.platform == "darwin"


def read_peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected Unix socket, from the kernel
    (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS); None when the platform cannot tell."""
    try:
        if hasattr(socket, "SO_PEERCRED"):
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", raw)
            return int(uid)
        if sys.platform == "darwin":  # pragma: no cover - tested on Linux only
            raw = sock.getsockopt(_SOL_LOCAL, _LOCAL_PEERCRED, _XUCRED_SIZE)
            _version, uid = struct.unpack_from("=II", raw)
            return int(uid)
    except OSError:
        return None
    return None  # pragma: no cover
