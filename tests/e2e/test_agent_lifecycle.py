"""A real agent process on a real socket: start, status, stop, one instance per socket, the
idle timeout, the maximum lifetime, a removed or replaced socket, a foreground run ended by
SIGTERM, and what the agent leaves behind (nothing but its log)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from awsafe.agentlink.client import ask_agent
from awsafe.agentlink.place import AgentPlace
from tests.support.agent import add_demo_keys, alive, private_agent_place, read_pid, start_agent, wait_gone
from tests.support.env import one_error_line, run_awsafe, start_awsafe
from tests.support.worlds import Seed

PASSPHRASE = "test-passphrase"  # tests/conftest.py's AWSAFE_FILE_PASSPHRASE


@pytest.fixture
def place(monkeypatch: pytest.MonkeyPatch) -> Iterator[AgentPlace]:
    yield from private_agent_place(monkeypatch)


def _left_behind(place: AgentPlace) -> list[str]:
    return sorted(os.listdir(place.directory))


def _log(place: AgentPlace) -> str:
    with open(place.log_file) as handle:
        return handle.read()


def test_start_status_stop(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    assert alive(pid)
    assert read_pid(place) == pid
    assert stat.S_IMODE(os.lstat(place.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(place.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(place.pid_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(place.log_file).st_mode) == 0o600

    status = run_awsafe("agent", "status")
    assert status.returncode == 0, status.stderr
    assert f"pid: {pid}\n" in status.stdout
    assert "backend: file\n" in status.stdout
    assert "sessions: 0\n" in status.stdout
    assert "profiles" not in status.stdout

    again = run_awsafe("agent", "start")
    assert again.returncode == 0
    assert again.stderr == f"awsafe: an agent is running already (pid {pid}, socket {place.socket})\n"
    assert read_pid(place) == pid

    stopped = run_awsafe("agent", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stderr == "awsafe: agent stopped\n"
    assert wait_gone(pid, 5)
    assert _left_behind(place) == ["agent.log"]  # no socket, no pid file
    assert "exiting: asked to stop" in _log(place)

    after = run_awsafe("agent", "status")
    assert after.returncode == 3
    assert after.stdout == f"agent: not running (socket {place.socket})\n"
    none = run_awsafe("agent", "stop")
    assert (none.returncode, none.stderr) == (0, "awsafe: no agent running\n")


def test_the_passphrase_is_not_in_the_agents_environment(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    with open(f"/proc/{pid}/environ", "rb") as handle:
        environ = handle.read()
    assert b"AWSAFE_AGENT_SOCK=" in environ  # the block is there and readable
    assert PASSPHRASE.encode() not in environ
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        assert PASSPHRASE.encode() not in handle.read()
    assert PASSPHRASE not in _log(place)
    # Root (the tests' user) may read any process: the kernel's word, as the agent logged it.
    assert f"(pid {pid}, backend file, not dumpable)" in _log(place)
    with open(f"/proc/{pid}/limits") as handle:
        core = next(line for line in handle if line.startswith("Max core file size"))
    assert core.split()[4:6] == ["0", "0"]


def test_the_passphrase_from_a_descriptor(place: AgentPlace, monkeypatch: pytest.MonkeyPatch) -> None:
    add_demo_keys()
    monkeypatch.delenv("AWSAFE_FILE_PASSPHRASE")
    for passphrase, code in (("wrong\n", 4), (PASSPHRASE + "\n", 0)):
        read_end, write_end = os.pipe()
        os.write(write_end, passphrase.encode())
        os.close(write_end)
        try:
            result = subprocess.run(
                [*_awsafe(), "agent", "start", "--passphrase-fd", str(read_end)],
                pass_fds=(read_end,),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                start_new_session=True,
            )
        finally:
            os.close(read_end)
        assert result.returncode == code, result.stderr
    assert ask_agent(place, {"op": "status"}) is not None


def _awsafe() -> list[str]:
    from tests.support.env import awsafe_executable

    return [str(awsafe_executable())]


def test_a_wrong_passphrase_starts_nothing(place: AgentPlace) -> None:
    add_demo_keys()
    result = run_awsafe("agent", "start", env={"AWSAFE_FILE_PASSPHRASE": "wrong"})
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert not os.path.lexists(place.socket)
    assert read_pid(place) is None


def test_the_idle_timeout_ends_the_agent(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent(env={"AWSAFE_AGENT_IDLE": "2s"})
    time.sleep(1)
    assert alive(pid)  # not at once
    assert wait_gone(pid, 6)
    assert _left_behind(place) == ["agent.log"]
    assert "exiting: it was idle too long" in _log(place)


def test_the_maximum_lifetime_ends_a_busy_agent(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent("--lifetime", "3s", "--idle", "1h")
    for _ in range(10):  # status is not use: the idle time stays, the lifetime runs out
        assert ask_agent(place, {"op": "status"}) is not None or not alive(pid)
        time.sleep(0.2)
    assert wait_gone(pid, 6)
    assert _left_behind(place) == ["agent.log"]
    assert "exiting: its maximum lifetime ran out" in _log(place)


def test_a_removed_socket_ends_the_agent(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent("--idle", "20s")  # the socket is checked every 2 s (idle / 10)
    os.unlink(place.socket)
    assert wait_gone(pid, 5)
    assert "exiting: its socket was removed or replaced" in _log(place)
    assert read_pid(place) is None


def test_a_replaced_socket_ends_the_agent_and_stays(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent("--idle", "20s")
    os.unlink(place.socket)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(place.socket)  # someone else's socket now: the agent must not remove it
    planted = os.lstat(place.socket).st_ino
    try:
        assert wait_gone(pid, 5)
        assert os.path.lexists(place.socket)
        assert os.lstat(place.socket).st_ino == planted
    finally:
        other.close()


def test_run_in_the_foreground_stops_on_sigterm(place: AgentPlace) -> None:
    add_demo_keys()
    process = start_awsafe("agent", "run")
    try:
        deadline = time.monotonic() + 30
        while ask_agent(place, {"op": "status"}) is None:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert read_pid(place) == process.pid
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "exiting: signal SIGTERM" in stderr
    assert _left_behind(place) == ["agent.log"]


def test_a_second_run_on_the_same_socket_is_refused(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    second = run_awsafe("agent", "run")
    assert second.returncode == 8, second.stderr
    assert f"an agent runs already on {place.socket} (pid {pid})" in second.stderr
    assert alive(pid)


# An agent of an older protocol version: holds the pid file, answers everything in its own version.
OLD_AGENT = r"""
import fcntl, json, os, socket, struct, sys
directory = sys.argv[1]
pid_file = os.open(os.path.join(directory, "agent.pid"), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(pid_file, fcntl.LOCK_EX)
os.write(pid_file, b"%d\n" % os.getpid())
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(os.path.join(directory, "agent.sock"))
listener.listen(8)
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    body = json.dumps({"v": 0, "op": "error", "code": "version", "message": "old"}).encode()
    conn.sendall(struct.pack(">I", len(body)) + body)
    conn.close()
"""


def test_an_agent_of_another_version_is_replaced(place: AgentPlace) -> None:
    add_demo_keys()
    old = subprocess.Popen(
        [sys.executable, "-c", OLD_AGENT, place.directory], stdout=subprocess.PIPE, text=True
    )
    try:
        assert old.stdout is not None and old.stdout.readline() == "ready\n"
        assert ask_agent(place, {"op": "status"}) is None  # a client does not trust it
        started = run_awsafe("agent", "start")
        assert started.returncode == 0, started.stderr
        assert f"awsafe: replaced an agent of another version (pid {old.pid})\n" in started.stderr
        assert old.wait(timeout=10) == -signal.SIGTERM
        reply = ask_agent(place, {"op": "status"})
        assert reply is not None and reply["pid"] == read_pid(place) != old.pid
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()


def test_a_hung_agent_holding_the_place_is_reported_not_replaced(place: AgentPlace) -> None:
    add_demo_keys()
    pid = start_agent()
    os.kill(pid, signal.SIGSTOP)
    try:
        result = run_awsafe("agent", "start")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.returncode == 8, result.stderr
    assert f"an agent holds {place.pid_file} (pid {pid}) but does not answer" in result.stderr
    assert alive(pid) and read_pid(place) == pid


def test_status_after_serving_names_profiles_only_when_asked(place: AgentPlace, seed: Seed) -> None:
    pid = start_agent(env=seed.env)
    exported = run_awsafe(
        "export", "--format", "json", "test", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": ""}
    )
    assert exported.returncode == 0, exported.stderr  # no passphrase here: the agent answered
    secret = json.loads(exported.stdout)["SecretAccessKey"]
    status = run_awsafe("agent", "status", env=seed.env)
    assert status.returncode == 0, status.stderr
    assert "sessions: 1\n" in status.stdout
    assert "test" not in status.stdout.replace(f"pid: {pid}", "")
    for hidden in (secret, seed.secret_access_key, PASSPHRASE):
        assert hidden not in status.stdout + status.stderr
    named = run_awsafe("agent", "status", "--profiles", env=seed.env)
    assert named.stdout.endswith("sessions: 1\nprofiles: test\n"), named.stdout
    assert seed.secret_access_key not in _log(place) and secret not in _log(place)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--idle", "0s"), "awsafe: --idle must be at least 1s"),
        (
            ("--lifetime", "forever"),
            "awsafe: --lifetime: 'forever' is not a duration (examples: 1h, 15m, 3600s)",
        ),
    ],
)
def test_bad_limits_start_nothing(place: AgentPlace, args: tuple[str, ...], message: str) -> None:
    result = run_awsafe("agent", "start", *args)
    assert one_error_line(result, 2) == message
    assert not os.path.lexists(place.socket)
