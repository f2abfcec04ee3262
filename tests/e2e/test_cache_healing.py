"""A damaged or foreign session item is only a cache miss: nothing gets stuck on it."""

from __future__ import annotations

import os
from pathlib import Path

from awsafe.vault.file import FileStore
from tests.support.env import run_awsafe
from tests.support.worlds import Seed

KEY_ID = "AKIAPROMPTPROMPT0001"
SECRET = "orphan-secret-value-0123456789"


def _items(seed: Seed) -> set[Path]:
    return set(Path(os.environ["AWSAFE_FILE_DIR"]).glob("*.item"))


def _file_store() -> FileStore:
    return FileStore(Path(os.environ["AWSAFE_FILE_DIR"]), lambda: os.environ["AWSAFE_FILE_PASSPHRASE"])


def test_an_unreadable_session_record_is_skipped_refetched_and_cleared(seed: Seed) -> None:
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    (item,) = [key for key in _file_store().keys() if key.startswith("sessions/")]
    _file_store().set(item, b"not a session record")

    listed = run_awsafe("list", "--sessions", env=seed.env)
    assert listed.returncode == 0 and listed.stdout == ""
    again = run_awsafe("export", "test", env=seed.env)
    assert again.returncode == 0, again.stderr
    assert len(seed.moto.calls("AssumeRole")) == 2  # a miss, and the record rewritten

    _file_store().set(item, b"{}")
    cleared = run_awsafe("clear", env=seed.env)
    assert cleared.returncode == 0 and "Cleared 1 cached session" in cleared.stderr
    assert [key for key in _file_store().keys() if key.startswith("sessions/")] == []
    assert run_awsafe("list", "--credentials", env=seed.env).stdout.splitlines() == ["demo"]


def test_a_tampered_session_file_is_refetched_and_replaced(seed: Seed) -> None:
    before = _items(seed)
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    (session_file,) = _items(seed) - before
    data = bytearray(session_file.read_bytes())
    data[-1] ^= 0x01
    session_file.write_bytes(bytes(data))
    again = run_awsafe("export", "test", env=seed.env)
    assert again.returncode == 0, again.stderr
    assert len(seed.moto.calls("AssumeRole")) == 2
    assert run_awsafe("list", "--sessions", env=seed.env).stdout.startswith("test\tassume-role ")


def test_clear_of_a_role_keeps_the_plain_sessions_of_its_source(seed: Seed) -> None:
    assert run_awsafe("export", "demo", env=seed.env).returncode == 0  # demo's own session token
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    cleared = run_awsafe("clear", "test", env=seed.env)
    assert "Cleared 1 cached session" in cleared.stderr
    assert run_awsafe("list", "--sessions", env=seed.env).stdout.startswith("demo\tsession-token ")


def test_list_shows_sessions_of_vault_only_profiles(seed: Seed) -> None:
    seed.moto.register_credentials(KEY_ID, SECRET)  # keys AWS knows, with no IAM user in moto
    added = run_awsafe(
        "add",
        "orphan",
        "--env",
        "--no-add-config",
        env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    assert added.returncode == 0
    assert run_awsafe("export", "orphan", env=seed.env).returncode == 0
    rows = [line.split(None, 2) for line in run_awsafe("list", env=seed.env).stdout.splitlines()]
    (orphan,) = [row for row in rows if row[1] == "orphan"]
    assert orphan[0] == "-" and orphan[2].startswith("session-token ")
