"""The agent's hardening on a real socket: another uid is refused and the refusal logged, an
impostor agent of another uid is never asked, unsafe socket directories are refused, and a
dead, stale or hung agent costs a client little before it falls back; an idle agent does not
poll."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

from awsafe.agentlink.client import CONNECT_TIMEOUT, REPLY_TIMEOUT, ask_agent
from awsafe.agentlink.place import AgentPlace
from tests.support.agent import (
    add_demo_keys,
    alive,
    cpu_seconds,
    private_agent_place,
    read_pid,
    start_agent,
    wait_gone,
)
from tests.support.env import one_error_line, run_awsafe

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_PEERCRED and /proc are Linux's"
)

OTHER_UID = 54321  # no user entry needed: setpriv sets the ids directly
SYSTEM_PYTHON = "/usr/bin/python3"  # world-executable, unlike the venv's interpreter under /root

# A client of another uid: connect, send a status frame, say what came back.
RAW_CLIENT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect failed", e.errno); sys.exit()
body = b'{"v":1,"op":"status","profiles":true}'
try:
    s.sendall(struct.pack(">I", len(body)) + body)
    data = s.recv(65536)
except OSError as e:
    print("failed", e.errno); sys.exit()
print("reply" if data else "closed", data[4:].decode(errors="replace"))
"""

# An impostor agent of another uid: listens, records whether anything was sent to it.
IMPOSTOR = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(5)
print("ready", flush=True)
conn, _ = s.accept()
conn.settimeout(3)
try:
    data = conn.recv(65536)
except OSError:
    data = b""
print("received", len(data), flush=True)
"""


def _as_other_uid(*args: str) -> list[str]:
    if shutil.which("setpriv") is None or not os.path.exists(SYSTEM_PYTHON) or os.geteuid() != 0:
        pytest.skip("needs root, setpriv and a system python3")
    return [
        "setpriv",
        f"--reuid={OTHER_UID}",
        f"--regid={OTHER_UID}",
        "--clear-groups",
        SYSTEM_PYTHON,
        "-I",
        *args,
    ]


@pytest.fixture
def place(monkeypatch: pytest.MonkeyPatch) -> Iterator[AgentPlace]:
    yield from private_agent_place(monkeypatch)


def _log(place: AgentPlace) -> str:
    with open(place.log_file) as handle:
        return handle.read()


# -- acceptance 3: other users ------------------------------------------------------------------


def test_another_uid_cannot_reach_the_socket_in_its_private_directory(place: AgentPlace) -> None:
    add_demo_keys()
    start_agent()
    result = subprocess.run(
        _as_other_uid("-c", RAW_CLIENT, place.socket), capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == "connect failed 13", result.stderr  # EACCES: the 0700 directory


def test_another_uid_that_reaches_the_socket_is_refused_and_logged(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    # Open the way on purpose (as a careless chmod would): the peer uid check is what remains.
    os.chmod(place.directory, 0o711)
    os.chmod(place.socket, 0o666)
    result = subprocess.run(
        _as_other_uid("-c", RAW_CLIENT, place.socket), capture_output=True, text=True, timeout=30
    )
    # Closed without a reply (EOF, or EPIPE/ECONNRESET when the close came before the send).
    assert result.stdout.strip() in ("closed", "failed 32", "failed 104"), result.stdout + result.stderr
    assert f"refused a connection from uid {OTHER_UID}" in _log(place)
    assert alive(pid)
    os.chmod(place.directory, 0o700)
    assert ask_agent(place, {"op": "status"}) is not None  # its own user is still served


def test_an_impostor_agent_of_another_uid_is_never_asked(place: AgentPlace) -> None:
    theirs = tempfile.mkdtemp(prefix="aw-x-", dir="/tmp")
    os.chown(theirs, OTHER_UID, OTHER_UID)
    planted = os.path.join(theirs, "agent.sock")
    impostor = subprocess.Popen(_as_other_uid("-c", IMPOSTOR, planted), stdout=subprocess.PIPE, text=True)
    try:
        assert impostor.stdout is not None
        assert impostor.stdout.readline() == "ready\n"
        os.rename(planted, place.socket)  # in our directory, and the file made to look ours
        os.chown(place.socket, 0, 0)
        assert ask_agent(place, {"op": "credentials", "request": {"profile": "demo"}}) is None
        impostor.wait(timeout=10)
        assert impostor.stdout.read() == "received 0\n"  # it got a connection, never the request
    finally:
        if impostor.poll() is None:
            impostor.kill()
        shutil.rmtree(theirs, ignore_errors=True)


@pytest.mark.parametrize("problem", ["mode", "owner", "symlink"])
def test_an_unsafe_socket_directory_is_refused(monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    add_demo_keys()
    base = tempfile.mkdtemp(prefix="aw-", dir="/tmp")
    try:
        directory = os.path.join(base, "d")
        os.mkdir(directory, 0o700)
        if problem == "mode":
            os.chmod(directory, 0o750)
            expected = "has mode 0750, not 0700"
        elif problem == "owner":
            os.chown(directory, OTHER_UID, OTHER_UID)
            expected = f"belongs to uid {OTHER_UID}, not to you (uid 0)"
        else:
            os.symlink(directory, os.path.join(base, "link"))
            directory = os.path.join(base, "link")
            expected = "is a symbolic link"
        monkeypatch.setenv("AWSAFE_AGENT_SOCK", os.path.join(directory, "agent.sock"))
        result = run_awsafe("agent", "start")
        line = one_error_line(result, 4)
        assert line == (
            f"awsafe: the agent socket directory {directory} {expected}: awsafe serves its agent "
            "only from a private directory of yours"
        )
        assert os.listdir(directory) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_socket_path_too_long_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSAFE_AGENT_SOCK", "/tmp/" + "d" * 110 + "/agent.sock")
    line = one_error_line(run_awsafe("agent", "start"), 8)
    assert "a Unix socket path may have at most 107" in line


# -- acceptance 4: dead, stale and hung agents ---------------------------------------------------


def test_kill_9_in_the_middle_of_a_request_falls_back_at_once(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    os.kill(pid, signal.SIGSTOP)  # hold it mid-request: the connection is queued, the frame sent
    answers: list[object] = []
    asked = threading.Thread(
        target=lambda: answers.append(ask_agent(place, {"op": "status"}, reply_timeout=30))
    )
    asked.start()
    time.sleep(0.5)
    assert asked.is_alive()  # waiting for the agent's reply
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    asked.join(5)
    assert not asked.is_alive()
    assert time.monotonic() - killed < 1.0  # not the 30 s reply timeout: the connection closed
    assert answers == [None]


def test_a_stale_socket_is_cleaned_and_replaced_by_the_next_start(place: AgentPlace) -> None:
    add_demo_keys()
    old = start_agent()
    os.kill(old, signal.SIGKILL)
    assert wait_gone(old, 5)
    assert os.path.lexists(place.socket)  # left behind
    started = time.monotonic()
    assert ask_agent(place, {"op": "status"}) is None
    assert time.monotonic() - started < 0.5  # ECONNREFUSED, no wait
    new = start_agent()
    assert new != old and read_pid(place) == new
    reply = ask_agent(place, {"op": "status"})
    assert reply is not None and reply["pid"] == new


def test_a_hung_agent_costs_at_most_the_documented_timeouts(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert ask_agent(place, {"op": "credentials", "request": {"profile": "demo"}}) is None
        took = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert REPLY_TIMEOUT - 0.1 <= took <= CONNECT_TIMEOUT + REPLY_TIMEOUT + 0.5
    assert ask_agent(place, {"op": "status"}) is not None  # it serves again once continued


# -- idle CPU -----------------------------------------------------------------------------------


def test_an_idle_agent_does_not_poll(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    time.sleep(1)  # past its start-up
    before = cpu_seconds(pid)
    time.sleep(5)
    used = cpu_seconds(pid) - before
    # The goal is 0.1 s per idle minute; 5 s of a polling loop would take far more than this.
    assert used <= 0.05, used
