"""The state-directory rule: private modes whatever the umask, yours only, no link another user planted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from awsafe.errors import ExitCode, StoreError
from awsafe.statedir import (
    UnsafeStateError,
    check_private_dir,
    create_private_dirs,
    ensure_private_dir,
    open_private_file,
    read_private_file,
)

OTHER_UID = 65534  # nobody
pytestmark = pytest.mark.skipif(os.name != "posix", reason="modes and owners are POSIX's")
as_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="chown needs root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(params=[0o000, 0o277], ids=["umask-000", "umask-277"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.fixture(autouse=True)
def no_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUDO_UID", raising=False)


def test_missing_directories_are_made_0700_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "a" / "b" / "state"
    ensure_private_dir(target)
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", target)] == [0o700] * 3


def test_create_private_dirs_leaves_existing_directories_alone(tmp_path: Path, umask: int) -> None:
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws").chmod(0o755)
    create_private_dirs(tmp_path / "aws" / "sso" / "cache")
    assert mode(tmp_path / "aws") == 0o755
    assert mode(tmp_path / "aws" / "sso") == mode(tmp_path / "aws" / "sso" / "cache") == 0o700


def test_a_world_writable_directory_of_ours_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    ensure_private_dir(state)
    assert mode(state) == 0o700


@pytest.mark.parametrize("reader", [False, True])
def test_a_shared_sticky_directory_like_tmp_is_refused_and_left_alone(tmp_path: Path, reader: bool) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # what /tmp is; ours here, as /tmp is root's when root runs awsafe
    with pytest.raises(UnsafeStateError, match="shared directory") as refused:
        if reader:
            check_private_dir(shared, tighten=0o022)
        else:
            ensure_private_dir(shared)
    assert refused.value.exit_code == ExitCode.STORE
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o1777


def test_a_reader_takes_only_write_access_away(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)
    assert check_private_dir(state, tighten=0o022) is True
    assert mode(state) == 0o755
    assert check_private_dir(tmp_path / "missing") is False


@as_root
def test_a_directory_of_another_user_is_refused_and_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o777)
    state.chmod(0o777)
    os.chown(state, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafeStateError) as caught:
        ensure_private_dir(state)
    assert str(state) in caught.value.message and f"uid {OTHER_UID}" in caught.value.message
    assert caught.value.hint and "remove it" in caught.value.hint
    assert isinstance(caught.value, StoreError) and caught.value.exit_code == ExitCode.STORE
    assert mode(state) == 0o777 and state.stat().st_uid == OTHER_UID


@as_root
def test_sudo_may_use_the_state_of_the_user_who_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, OTHER_UID, OTHER_UID)
    monkeypatch.setenv("SUDO_UID", str(OTHER_UID))
    ensure_private_dir(state)
    monkeypatch.setenv("SUDO_UID", str(OTHER_UID - 1))
    with pytest.raises(UnsafeStateError):
        ensure_private_dir(state)


@as_root
def test_a_directory_link_planted_by_another_user_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "state"
    link.symlink_to(elsewhere)
    os.lchown(link, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafeStateError, match="symbolic link made by uid 65534"):
        ensure_private_dir(link / "locks")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "not-there")
    os.lchown(dangling, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafeStateError):
        ensure_private_dir(dangling)
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "not-there").exists()


def test_your_own_directory_link_is_followed_and_its_target_checked(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "awsafe"
    target.mkdir(parents=True)
    target.chmod(0o755)
    link = tmp_path / "state"
    link.symlink_to(target)
    ensure_private_dir(link)
    assert mode(target) == 0o700


@as_root
def test_your_own_link_to_another_users_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "theirs"
    target.mkdir()
    os.chown(target, OTHER_UID, OTHER_UID)
    (tmp_path / "state").symlink_to(target)
    with pytest.raises(UnsafeStateError, match=f"uid {OTHER_UID}"):
        ensure_private_dir(tmp_path / "state")


def test_files_are_created_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    fd = open_private_file(tmp_path / "lock", os.O_RDWR | os.O_CREAT)
    os.close(fd)
    assert mode(tmp_path / "lock") == 0o600


def test_an_existing_loose_file_of_ours_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "memo"
    path.write_text("{}")
    path.chmod(0o666)
    assert read_private_file(path) == b"{}"
    assert mode(path) == 0o600
    assert read_private_file(tmp_path / "missing") is None


@pytest.mark.parametrize("flags", [os.O_RDWR | os.O_CREAT, os.O_WRONLY | os.O_CREAT | os.O_EXCL, os.O_RDONLY])
def test_a_file_link_is_never_followed_its_target_neither_made_nor_truncated(
    tmp_path: Path, flags: int
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "to-victim").symlink_to(victim)
    (tmp_path / "to-nothing").symlink_to(tmp_path / "created")
    expected = FileExistsError if flags & os.O_EXCL else UnsafeStateError
    for link in ("to-victim", "to-nothing"):
        with pytest.raises(expected):
            open_private_file(tmp_path / link, flags | os.O_TRUNC if flags != os.O_RDONLY else flags)
    assert victim.read_text() == "precious" and not (tmp_path / "created").exists()


@as_root
def test_a_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("")
    os.chown(path, OTHER_UID, OTHER_UID)
    with pytest.raises(UnsafeStateError, match=f"uid {OTHER_UID}"):
        open_private_file(path, os.O_RDWR | os.O_CREAT)


def test_a_fifo_in_place_of_a_file_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "memo")
    with pytest.raises(UnsafeStateError, match="not a regular file"):
        read_private_file(tmp_path / "memo")
