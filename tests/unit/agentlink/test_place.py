"""Where the agent's socket is, and which socket directories are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awsafe.agentlink.place import (
    AgentPlace,
    describe_unsafe_directory,
    ensure_agent_directory,
    read_agent_place,
)
from awsafe.errors import ServerError
from awsafe.statedir import UnsafeStateError


def test_the_variable_wins(tmp_path: Path) -> None:
    place = read_agent_place({"AWSAFE_AGENT_SOCK": "/tmp/a/s.sock", "XDG_RUNTIME_DIR": str(tmp_path)}, "/h")
    assert place.socket == "/tmp/a/s.sock"
    assert place.pid_file == "/tmp/a/agent.pid"
    assert place.log_file == "/tmp/a/agent.log"


def test_the_runtime_dir_when_it_is_ours(tmp_path: Path) -> None:
    place = read_agent_place({"XDG_RUNTIME_DIR": str(tmp_path)}, "/h")
    assert place.socket == str(tmp_path / "awsafe" / "agent.sock")


def test_a_relative_or_missing_runtime_dir_is_not_used(tmp_path: Path) -> None:
    for runtime in ("relative/dir", str(tmp_path / "missing")):
        place = read_agent_place({"XDG_RUNTIME_DIR": runtime}, "/h")
        assert place.socket == "/h/.awsafe/agent/agent.sock"


def test_a_runtime_dir_of_another_user_is_not_used(tmp_path: Path) -> None:
    os.chown(tmp_path, 4242, 4242)
    assert read_agent_place({"XDG_RUNTIME_DIR": str(tmp_path)}, "/h").socket == "/h/.awsafe/agent/agent.sock"


def test_a_new_directory_is_made_0700(tmp_path: Path) -> None:
    os.umask(0o022)
    place = AgentPlace(str(tmp_path / "a" / "b" / "agent.sock"))
    ensure_agent_directory(place)
    assert (os.stat(tmp_path / "a").st_mode & 0o777) == 0o700
    assert (os.stat(tmp_path / "a" / "b").st_mode & 0o777) == 0o700
    assert describe_unsafe_directory(place.directory) is None


def test_an_open_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "open"
    directory.mkdir()
    os.chmod(directory, 0o755)
    with pytest.raises(UnsafeStateError, match="has mode 0755, not 0700"):
        ensure_agent_directory(AgentPlace(str(directory / "agent.sock")))
    assert (os.stat(directory).st_mode & 0o777) == 0o755


def test_a_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, 4242, 4242)
    with pytest.raises(UnsafeStateError, match="belongs to uid 4242"):
        ensure_agent_directory(AgentPlace(str(directory / "agent.sock")))


def test_a_symlinked_directory_is_refused_even_to_our_own_directory(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(UnsafeStateError, match="is a symbolic link"):
        ensure_agent_directory(AgentPlace(str(tmp_path / "link" / "agent.sock")))


def test_a_socket_path_too_long_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match="at most 107") as caught:
        ensure_agent_directory(AgentPlace("/tmp/" + "x" * 120 + "/agent.sock"))
    assert "AWSAFE_AGENT_SOCK" in (caught.value.hint or "")
    assert not os.path.exists("/tmp/" + "x" * 120)
