"""The agent's service on a real Unix socket with a scripted handler: bad frames get an error
and never stop it, a silent client does not block others, the connection bound, a handler's
bug, and what status tells."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import struct
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

from awsafe.agent import handlers, service
from awsafe.agent.lifetime import Lifetime
from awsafe.agent.service import AgentService
from awsafe.agentlink.client import ask_agent
from awsafe.agentlink.place import AgentPlace
from awsafe.agentlink.protocol import MAX_REPLY, MAX_REQUEST, Conversation, read_frame

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _fake_answer(engine: object, talk: Conversation, frame: dict[str, Any], held: set[str]) -> None:
    profile = frame["request"]["profile"]
    if profile == "boom":
        raise RuntimeError(SECRET)  # its text must reach neither the client nor the log
    held.add(profile)
    talk.send({"op": "credentials", "credentials": {"profile": profile}})


@pytest.fixture
def running(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[tuple[AgentPlace, AgentService]]:
    monkeypatch.setattr(handlers, "answer", _fake_answer)
    monkeypatch.setattr(service, "REQUEST_TIMEOUT", 0.5)
    directory = tempfile.mkdtemp(prefix="as-", dir="/tmp")
    os.chmod(directory, 0o700)
    place = AgentPlace(os.path.join(directory, "agent.sock"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(place.socket)
    listener.listen(128)
    lifetime = Lifetime(dt.timedelta(hours=1), dt.timedelta(hours=2))
    bound = getattr(request, "param", service.MAX_CONNECTIONS)
    agent = AgentService(object(), lifetime, listener, "file", max_connections=bound)  # type: ignore[arg-type]
    agent.start()
    yield place, agent
    agent.close()
    shutil.rmtree(directory, ignore_errors=True)


def _raw(place: AgentPlace, data: bytes) -> dict[str, Any] | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(place.socket)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)  # a refusing agent may have answered and closed already
        try:
            return read_frame(sock, MAX_REPLY, 2.0)
        except Exception:  # noqa: BLE001 - closed without a reply
            return None


def _credentials(place: AgentPlace, profile: str) -> dict[str, Any] | None:
    return ask_agent(place, {"op": "credentials", "request": {"profile": profile}})


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_frame(b"{not json"), "malformed"),
        (_frame(b'{"v": 1}'), "malformed"),
        (_frame(b'{"v": 99, "op": "status"}'), "version"),
        (struct.pack(">I", MAX_REQUEST + 1), "oversize"),
        (_frame(b'{"v": 1, "op": "selfdestruct"}'), "op"),
    ],
)
def test_a_bad_frame_gets_an_error_and_the_agent_serves_on(
    running: tuple[AgentPlace, AgentService], data: bytes, code: str
) -> None:
    place, agent = running
    reply = _raw(place, data)
    assert reply is not None and reply["op"] == "error" and reply["code"] == code
    assert not agent.lifetime.stopping
    assert _credentials(place, "demo") == {"v": 1, "op": "credentials", "credentials": {"profile": "demo"}}


def test_a_silent_client_does_not_block_others(running: tuple[AgentPlace, AgentService]) -> None:
    place, _ = running
    silent = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(5)]
    try:
        for sock in silent:
            sock.connect(place.socket)  # and never send anything
        started = time.monotonic()
        assert _credentials(place, "demo") is not None
        assert time.monotonic() - started < 0.3
        time.sleep(0.8)  # past the (shortened) request deadline: the silent ones were dropped
        for sock in silent:
            sock.settimeout(1)
            assert sock.recv(10) == b""
    finally:
        for sock in silent:
            sock.close()


@pytest.mark.parametrize("running", [2], indirect=True)
def test_connections_are_bounded(
    running: tuple[AgentPlace, AgentService], caplog: pytest.LogCaptureFixture
) -> None:
    place, _ = running
    held = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    try:
        for sock in held:
            sock.connect(place.socket)
        time.sleep(0.1)
        reply = _raw(place, _frame(b'{"v": 1, "op": "status"}'))
        assert reply is not None and reply["code"] == "busy"
        assert "refused a connection: 2 connections are open already" in caplog.text
        assert ask_agent(place, {"op": "status"}) is None  # a client falls back
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.6)  # their threads end at the request deadline and free the slots
    assert ask_agent(place, {"op": "status"}) is not None


def test_a_handler_bug_is_an_error_70_without_its_text(
    running: tuple[AgentPlace, AgentService], caplog: pytest.LogCaptureFixture
) -> None:
    place, agent = running
    reply = _raw(place, _frame(b'{"v": 1, "op": "credentials", "request": {"profile": "boom"}}'))
    assert reply == {"v": 1, "op": "error", "exit_code": 70, "message": "the agent failed (RuntimeError)"}
    assert _credentials(place, "boom") is None  # the client falls back
    assert "a credentials request failed: RuntimeError (a bug)" in caplog.text
    assert SECRET not in caplog.text
    assert _credentials(place, "demo") is not None and not agent.lifetime.stopping


def test_status_names_profiles_only_when_asked(running: tuple[AgentPlace, AgentService]) -> None:
    place, _ = running
    assert _credentials(place, "prod-admin") is not None
    assert _credentials(place, "dev") is not None
    plain = ask_agent(place, {"op": "status", "profiles": False})
    assert plain is not None
    assert plain["sessions"] == 2 and "profiles" not in plain
    assert "prod-admin" not in str(plain)
    assert set(plain) == {
        "v",
        "op",
        "pid",
        "backend",
        "version",
        "started",
        "uptime",
        "idle_left",
        "lifetime_left",
        "sessions",
        # how long its latest answers took: figures, never a request's content
        "answers_timed",
        "answer_ms_p50",
        "answer_ms_p99",
    }
    named = ask_agent(place, {"op": "status", "profiles": True})
    assert named is not None and named["profiles"] == ["dev", "prod-admin"]


def test_stop_replies_then_ends_the_lifetime(running: tuple[AgentPlace, AgentService]) -> None:
    place, agent = running
    assert ask_agent(place, {"op": "stop"}) == {"v": 1, "op": "stopping"}
    assert agent.lifetime.wait() == "asked to stop"
