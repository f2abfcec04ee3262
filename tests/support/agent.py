"""A private place for a real agent in the tests: a short socket directory under /tmp (a
tmp_path can exceed the 107-byte Unix socket limit), and helpers to watch the agent process."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator

import pytest

from awsafe.agentlink.place import AgentPlace
from tests.support.env import run_awsafe

DEMO_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAAGENTTEST0000001", "AWS_SECRET_ACCESS_KEY": "agent-test-secret-0001"}


def private_agent_place(monkeypatch: pytest.MonkeyPatch) -> Iterator[AgentPlace]:
    """AWSAFE_AGENT_SOCK in a fresh 0700 directory; any agent left there is killed afterwards."""
    directory = tempfile.mkdtemp(prefix="aw-", dir="/tmp")
    os.chmod(directory, 0o700)
    place = AgentPlace(os.path.join(directory, "agent.sock"))
    monkeypatch.setenv("AWSAFE_AGENT_SOCK", place.socket)
    yield place
    pid = read_pid(place)
    if pid is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)


def read_pid(place: AgentPlace) -> int | None:
    try:
        with open(place.pid_file) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    """Running (a zombie left for a reaper that never comes counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` from /proc, in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def add_demo_keys() -> None:
    """A vault with one item (so it has a header and a wrong passphrase is noticed)."""
    added = run_awsafe("add", "demo", "--env", env=DEMO_KEYS)
    assert added.returncode == 0, added.stderr


def start_agent(*args: str, env: dict[str, str] | None = None) -> int:
    """`awsafe agent start ARGS`: the agent's pid (the command must have succeeded)."""
    started = run_awsafe("agent", "start", *args, env=env)
    assert started.returncode == 0, started.stderr
    assert "awsafe: agent started (pid " in started.stderr, started.stderr
    return int(started.stderr.split("(pid ", 1)[1].split(",", 1)[0])
