"""State directories another user controls are refused, ours are tightened, and links planted in
place of a lock, a fast-path record, a vault item or a directory are never followed."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

OTHER_UID = 65534
pytestmark = pytest.mark.skipif(os.name != "posix", reason="modes, owners and links are POSIX's")
as_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="chown needs root")


def export(seed: Seed) -> subprocess.CompletedProcess[str]:
    return run_awsafe("export", "--format", "json", "test", env=seed.env)


def assert_refused(result: subprocess.CompletedProcess[str], path: Path, why: str) -> None:
    assert result.returncode == 4, result.stderr  # a store error
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and all(line.startswith("awsafe: ") for line in lines), result.stderr
    assert str(path) in lines[0] and why in lines[0], lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_world_writable_state_directories_of_ours_are_tightened(seed: Seed) -> None:
    state = seed.home / ".awsafe"
    for path in (state, state / "vault"):
        path.chmod(0o777)
    assert export(seed).returncode == 0
    assert [mode(p) for p in (state, state / "vault", state / "locks", state / "memo")] == [0o700] * 4


@as_root
@pytest.mark.parametrize("where", [".awsafe", ".awsafe/vault", ".awsafe/locks"])
def test_a_state_directory_of_another_user_is_refused(seed: Seed, where: str) -> None:
    path = seed.home / where
    path.mkdir(exist_ok=True)
    os.chown(path, OTHER_UID, OTHER_UID)
    result = export(seed)
    assert_refused(result, path, f"belongs to uid {OTHER_UID}")
    assert seed.moto.calls() == []  # refused before any use
    assert path.stat().st_uid == OTHER_UID


@as_root
def test_a_directory_link_planted_by_another_user_is_not_followed(seed: Seed, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    locks = seed.home / ".awsafe" / "locks"
    if locks.exists():
        locks.rmdir()
    locks.symlink_to(elsewhere)
    os.lchown(locks, OTHER_UID, OTHER_UID)
    assert_refused(export(seed), locks, "symbolic link")
    assert list(elsewhere.iterdir()) == []


def test_a_link_in_place_of_a_lock_file_is_not_followed(seed: Seed, tmp_path: Path) -> None:
    assert export(seed).returncode == 0
    locks = sorted((seed.home / ".awsafe" / "locks").glob("*.lock"))
    assert locks
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for index, lock in enumerate(locks):
        lock.unlink()
        lock.symlink_to(victim if index == 0 else tmp_path / f"created-{index}")
    assert run_awsafe("clear", env=seed.env).returncode == 0
    assert_refused(export(seed), locks[0], "symbolic link")
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("created")) == []


def test_a_link_in_place_of_the_vault_lock_is_not_followed(seed: Seed, tmp_path: Path) -> None:
    vault = tmp_path / "new-vault"
    vault.mkdir(mode=0o700)
    (vault / ".lock").symlink_to(tmp_path / "created")
    result = run_awsafe(
        "add",
        "demo",
        "--env",
        env={
            "AWSAFE_FILE_DIR": str(vault),
            "AWS_ACCESS_KEY_ID": seed.access_key_id,
            "AWS_SECRET_ACCESS_KEY": seed.secret_access_key,
        },
    )
    assert_refused(result, vault / ".lock", "symbolic link")
    assert not (tmp_path / "created").exists()
    assert sorted(p.name for p in vault.iterdir()) == [".lock"]  # no header, no item


def test_a_link_in_place_of_a_vault_item_is_not_followed(seed: Seed, tmp_path: Path) -> None:
    vault = seed.home / ".awsafe" / "vault"
    items = sorted(vault.glob("*.item"))
    assert items
    for item in items:  # each link points at an intact copy of the item itself
        copy = tmp_path / item.name
        copy.write_bytes(item.read_bytes())
        item.unlink()
        item.symlink_to(copy)
    result = export(seed)
    assert result.returncode == 4, result.stderr
    assert "is a symbolic link" in result.stderr and str(vault) in result.stderr
    assert seed.moto.calls() == []


def test_a_link_at_the_memo_temporary_name_is_not_followed(seed: Seed, tmp_path: Path) -> None:
    # The fast-path record is written through `<record>.<pid>.tmp`: plant links at the names the next
    # processes will have, pointing at a file that must not be truncated.
    assert export(seed).returncode == 0
    memo_dir = seed.home / ".awsafe" / "memo"
    [memo] = list(memo_dir.iterdir())
    memo.unlink()  # the next run writes it again
    victim = tmp_path / "victim"
    victim.write_text("precious")
    last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    top = int(Path("/proc/sys/kernel/pid_max").read_text())
    for pid in {(last + step) % top for step in range(1, 3001)}:
        Path(f"{memo}.{pid}.tmp").symlink_to(victim)
    assert export(seed).returncode == 0
    assert victim.read_text() == "precious"
    assert memo.is_file() and not memo.is_symlink() and mode(memo) == 0o600


def test_a_shared_tmp_like_directory_is_refused_as_the_vault_and_keeps_its_mode(tmp_path: Path) -> None:
    """Root running `awsafe --file-dir /tmp` once made /tmp 1700 for every user: now refused."""
    from tests.support.cli import run_main

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    keys = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"}
    result = run_main("--file-dir", str(shared), "add", "demo", "--env", env=keys)
    assert result.returncode == 4, result.stderr
    assert "is a shared directory" in result.stderr and "Traceback" not in result.stderr
    assert mode(shared) == 0o1777 and list(shared.iterdir()) == []
