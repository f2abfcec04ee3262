"""The lean client against a scripted agent on a real Unix socket: every failure is None."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from awsafe.agentlink.client import ask_agent
from awsafe.agentlink.place import AgentPlace
from awsafe.agentlink.protocol import MAX_REPLY, MAX_REQUEST, Conversation, ProtocolError
from awsafe.errors import MfaError

Script = Callable[[Conversation], None]


@pytest.fixture
def place() -> Iterator[AgentPlace]:
    directory = tempfile.mkdtemp(prefix="al-", dir="/tmp")  # tmp_path may be over 107 bytes
    os.chmod(directory, 0o700)
    yield AgentPlace(os.path.join(directory, "agent.sock"))
    shutil.rmtree(directory, ignore_errors=True)


def _serve(place: AgentPlace, script: Script) -> tuple[threading.Thread, list[dict[str, Any]]]:
    """A one-connection agent running ``script``; the frames it received are recorded."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(place.socket)
    listener.listen(1)
    received: list[dict[str, Any]] = []

    class Recording(Conversation):
        def receive(self, timeout: float) -> dict[str, Any]:
            frame = super().receive(timeout)
            received.append(frame)
            return frame

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn, contextlib.suppress(ProtocolError):
                script(Recording(conn, receive_limit=MAX_REQUEST, send_limit=MAX_REPLY))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, received


def _reply(*frames: dict[str, Any]) -> Script:
    def script(talk: Conversation) -> None:
        talk.receive(2)
        for frame in frames:
            talk.send(frame)

    return script


def test_no_socket_is_none(place: AgentPlace) -> None:
    assert ask_agent(place, {"op": "status"}) is None


def test_a_stale_socket_file_is_none_quickly(place: AgentPlace) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(place.socket)
    dead.close()  # the file stays, nobody listens: ECONNREFUSED
    started = time.monotonic()
    assert ask_agent(place, {"op": "status"}) is None
    assert time.monotonic() - started < 0.5


def test_a_reply_is_returned(place: AgentPlace) -> None:
    thread, received = _serve(place, _reply({"op": "status", "pid": 1}))
    assert ask_agent(place, {"op": "status", "profiles": False}) == {"v": 1, "op": "status", "pid": 1}
    thread.join(2)
    assert received == [{"v": 1, "op": "status", "profiles": False}]


def test_decline_is_none(place: AgentPlace) -> None:
    _serve(place, _reply({"op": "decline", "reason": "another vault"}))
    assert ask_agent(place, {"op": "credentials"}) is None


def test_an_error_with_an_exit_code_is_returned_for_the_caller_to_raise(place: AgentPlace) -> None:
    _serve(place, _reply({"op": "error", "exit_code": 7, "message": "AccessDenied", "hint": None}))
    assert ask_agent(place, {"op": "credentials"}) == {
        "v": 1,
        "op": "error",
        "exit_code": 7,
        "message": "AccessDenied",
        "hint": None,
    }


@pytest.mark.parametrize(
    "frame",
    [
        {"op": "error", "code": "version", "message": "protocol version 2"},
        {"op": "error", "exit_code": 70, "message": "the agent failed"},
        {"op": "error", "exit_code": "7"},
    ],
)
def test_an_agent_failure_is_none(place: AgentPlace, frame: dict[str, Any]) -> None:
    _serve(place, _reply(frame))
    assert ask_agent(place, {"op": "credentials"}) is None


def test_a_reply_of_another_version_is_none(place: AgentPlace) -> None:
    _serve(place, _reply({"v": 2, "op": "credentials", "credentials": {}}))
    assert ask_agent(place, {"op": "credentials"}) is None


def test_a_malformed_reply_is_none(place: AgentPlace) -> None:
    def script(talk: Conversation) -> None:
        talk.receive(2)
        talk.sock.sendall(b"\x00\x00\x00\x03{x}")

    _serve(place, script)
    assert ask_agent(place, {"op": "credentials"}) is None


def test_an_agent_that_never_replies_costs_the_reply_timeout(place: AgentPlace) -> None:
    release = threading.Event()
    _serve(place, lambda talk: release.wait(5))
    started = time.monotonic()
    assert ask_agent(place, {"op": "credentials"}, reply_timeout=0.3) is None
    assert 0.25 < time.monotonic() - started < 1.5
    release.set()


def test_a_prompt_is_answered_by_on_prompt_and_notices_are_shown(place: AgentPlace) -> None:
    def script(talk: Conversation) -> None:
        talk.receive(2)
        talk.send({"op": "notice", "text": "open the browser\n"})
        talk.send({"op": "prompt", "kind": "mfa", "profile": "p", "serial": "arn:mfa"})
        answer = talk.receive(2)
        talk.send({"op": "credentials", "echo": answer.get("code")})

    seen: list[dict[str, Any]] = []
    notices: list[str] = []

    def on_prompt(frame: dict[str, Any]) -> dict[str, Any]:
        seen.append(frame)
        return {"code": "123456"}

    thread, received = _serve(place, script)
    reply = ask_agent(place, {"op": "credentials"}, on_prompt=on_prompt, on_notice=notices.append)
    thread.join(2)
    assert reply == {"v": 1, "op": "credentials", "echo": "123456"}
    assert seen[0]["serial"] == "arn:mfa"
    assert notices == ["open the browser\n"]
    assert received[1] == {"v": 1, "op": "answer", "code": "123456"}


def test_without_on_prompt_the_agent_is_told_so(place: AgentPlace) -> None:
    def script(talk: Conversation) -> None:
        talk.receive(2)
        talk.send({"op": "prompt", "kind": "mfa"})
        talk.receive(2)
        talk.send({"op": "decline", "reason": "no prompt"})

    thread, received = _serve(place, script)
    assert ask_agent(place, {"op": "credentials"}) is None
    thread.join(2)
    assert received[1] == {"v": 1, "op": "answer", "error": "no prompt here"}


def test_an_awsafe_error_from_on_prompt_is_sent_as_the_answer(place: AgentPlace) -> None:
    def script(talk: Conversation) -> None:
        talk.receive(2)
        talk.send({"op": "prompt", "kind": "mfa"})
        talk.receive(2)
        talk.send({"op": "error", "exit_code": 6, "message": "no code"})

    def on_prompt(frame: dict[str, Any]) -> dict[str, Any]:
        raise MfaError("no MFA code was typed")

    thread, received = _serve(place, script)
    assert ask_agent(place, {"op": "credentials"}, on_prompt=on_prompt)["exit_code"] == 6  # type: ignore[index]
    thread.join(2)
    assert received[1] == {"v": 1, "op": "answer", "error": "no MFA code was typed"}


def test_a_socket_of_another_user_is_not_asked(place: AgentPlace) -> None:
    thread, received = _serve(place, _reply({"op": "status"}))
    os.chown(place.socket, 4242, 4242)
    assert ask_agent(place, {"op": "status"}) is None
    os.chown(place.socket, 0, 0)
    assert ask_agent(place, {"op": "status"}) is not None  # the same agent, once the file is ours
    thread.join(2)


def test_a_socket_in_an_open_directory_is_not_asked(place: AgentPlace) -> None:
    _serve(place, _reply({"op": "status"}))
    os.chmod(place.directory, 0o755)
    assert ask_agent(place, {"op": "status"}) is None


def test_the_request_size_limit_holds_on_the_client(place: AgentPlace) -> None:
    thread, received = _serve(place, _reply({"op": "status"}))
    assert ask_agent(place, {"op": "credentials", "blob": "a" * MAX_REQUEST}) is None
    thread.join(2)
    assert received == []  # nothing over the limit was sent
