"""The lean agent client: ask a running agent one question, or None so the caller does what it
does without one; it imports only os, socket, stat and sys eagerly (the fast path uses it).

None (never an exception) for: no socket, a stale socket file (nobody listens), a socket or
socket directory that is not safely ours, an agent running as another uid, no reply in time, a
reply of another protocol version or a malformed one, a "decline", or an agent's internal
failure. The reason is logged at debug level on ``awsafe.agentlink.client`` (only when logging
is already in use: the fast path never imports it).

Timeouts (docs/commands/agent.md): connecting 0.5 s; each wait for the agent's next frame
``reply_timeout``, 2 s by default, which is what a hung (stopped) agent costs a caller; a prompt
relayed to this client waits as long as the person takes.
"""

from __future__ import annotations

import os
import socket
import sys

from awsafe.agentlink.place import describe_unsafe_socket
from awsafe.agentlink.protocol import MAX_REPLY, MAX_REQUEST, Conversation, ProtocolError, read_peer_uid
from awsafe.errors import AwsafeError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from awsafe.agentlink.place import AgentPlace

CONNECT_TIMEOUT = 0.5
REPLY_TIMEOUT = 2.0
_BUG = 70  # ExitCode.BUG: an agent's own failure is a reason to fall back, not to fail


def _debug(reason: str) -> None:
    if "logging" in sys.modules:  # nobody configured logging if nobody imported it
        import logging

        logging.getLogger("awsafe.agentlink.client").debug("agent not used: %s", reason)


def _write_notice(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def connect_agent(place: AgentPlace, timeout: float = CONNECT_TIMEOUT) -> socket.socket | None:
    """A connection to our own agent at ``place`` (its peer uid checked), or None (logged)."""
    problem = describe_unsafe_socket(place)
    if problem is not None:
        _debug(problem)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(place.socket)
        uid = read_peer_uid(sock)
    except OSError as error:  # ECONNREFUSED: a stale socket file; a timeout: a stuck listener
        sock.close()
        _debug(f"cannot connect ({error.strerror or type(error).__name__})")
        return None
    if uid != os.geteuid():
        sock.close()
        _debug(f"the agent runs as uid {uid}, not as uid {os.geteuid()}")
        return None
    return sock


def _answer_prompt(
    frame: dict[str, Any], on_prompt: Callable[[dict[str, Any]], dict[str, Any]] | None
) -> dict[str, Any]:
    if on_prompt is None:
        return {"op": "answer", "error": "no prompt here"}
    try:
        answer = on_prompt(frame)
    except AwsafeError as error:  # the person gave no code: the agent reports it as its error
        return {"op": "answer", "error": error.message}
    return {**answer, "op": "answer"}


def _final(frame: dict[str, Any]) -> dict[str, Any] | None:
    op = frame["op"]
    if op == "decline":
        _debug(f"the agent declined: {frame.get('reason')}")
        return None
    if op == "error":
        code = frame.get("exit_code")
        if not isinstance(code, int) or isinstance(code, bool) or code == _BUG:
            _debug(f"the agent failed: {frame.get('code') or code}: {frame.get('message')}")
            return None
    return frame


def converse(
    sock: socket.socket,
    message: dict[str, Any],
    *,
    on_prompt: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    on_notice: Callable[[str], None] | None = None,
    reply_timeout: float = REPLY_TIMEOUT,
) -> dict[str, Any] | None:
    """Send ``message`` on a connected agent socket, relay prompts and notices, and return the
    final frame (None for decline, version mismatch, timeout or anything malformed)."""
    talk = Conversation(sock, receive_limit=MAX_REPLY, send_limit=MAX_REQUEST)
    try:
        talk.send(message)
        frame = talk.receive(reply_timeout)
    except ProtocolError as error:
        _debug(f"{error.code}: {error}")
        return None
    return follow(sock, frame, on_prompt=on_prompt, on_notice=on_notice, reply_timeout=reply_timeout)


def follow(
    sock: socket.socket,
    frame: dict[str, Any],
    *,
    on_prompt: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    on_notice: Callable[[str], None] | None = None,
    reply_timeout: float = REPLY_TIMEOUT,
) -> dict[str, Any] | None:
    """Go on from ``frame``, the agent's first frame in answer to a request: relay prompts and
    notices, and return the final frame (None as for :func:`converse`)."""
    talk = Conversation(sock, receive_limit=MAX_REPLY, send_limit=MAX_REQUEST)
    notice = on_notice or _write_notice
    try:
        while True:
            if frame["op"] == "prompt":
                talk.send(_answer_prompt(frame, on_prompt))
            elif frame["op"] == "notice":
                notice(str(frame.get("text", "")))
            else:
                return _final(frame)
            frame = talk.receive(reply_timeout)
    except ProtocolError as error:
        _debug(f"{error.code}: {error}")
        return None


def ask_agent(
    place: AgentPlace,
    message: dict[str, Any],
    *,
    on_prompt: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    on_notice: Callable[[str], None] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    reply_timeout: float = REPLY_TIMEOUT,
) -> dict[str, Any] | None:
    """The agent's final reply to ``message`` (credentials, status, stopping, or an error frame
    with the exit code the caller re-raises), or None: then do what you would without an agent.

    ``on_prompt(prompt_frame) -> {"code": ...}`` answers a relayed prompt (an AwsafeError it
    raises is sent back as the answer's error); without it the agent is told "no prompt here".
    ``on_notice(text)`` shows relayed text; by default it goes to stderr.
    """
    sock = connect_agent(place, connect_timeout)
    if sock is None:
        return None
    try:
        return converse(sock, message, on_prompt=on_prompt, on_notice=on_notice, reply_timeout=reply_timeout)
    finally:
        sock.close()
