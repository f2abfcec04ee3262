"""The agent's memo of answers: given again only while the config, the vault and the clock allow."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from awsafe.agent.memo import AnswerMemo

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def world(tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    home = tmp_path / "home"
    vault = home / ".awsafe" / "vault"
    vault.mkdir(parents=True)
    config = home / ".aws" / "config"
    config.parent.mkdir()
    config.write_text("[profile test]\nregion = eu-west-1\n")
    frame = {
        "op": "credentials",
        "request": {"profile": "test", "region": None},
        "environ": {"HOME": str(home), "AWS_MIN_TTL": "5m"},
        "home": str(home),
        "vault": {"backend": None, "file_dir": str(vault)},
    }
    return frame, config, vault


REPLY = {"op": "credentials", "credentials": {"AccessKeyId": "ASIAEXAMPLE"}, "region": "eu-west-1"}


def remembered(tmp_path: Path, clock: Clock) -> tuple[AnswerMemo, dict[str, Any], Path, Path]:
    frame, config, vault = world(tmp_path)
    memo = AnswerMemo([str(vault)], clock)
    key = memo.key(frame)
    memo.remember(key, memo.snapshot(frame), frame, NOW + dt.timedelta(hours=1), REPLY)
    return memo, frame, config, vault


def test_an_unchanged_request_gets_the_same_answer(tmp_path: Path) -> None:
    memo, frame, _, _ = remembered(tmp_path, Clock())
    assert memo.lookup(memo.key(frame), frame) == REPLY


def test_another_profile_or_environment_is_not_the_same_request(tmp_path: Path) -> None:
    memo, frame, _, _ = remembered(tmp_path, Clock())
    other_profile = {**frame, "request": {"profile": "prod", "region": None}}
    other_env = {**frame, "environ": {**frame["environ"], "AWS_REGION": "us-east-1"}}
    assert memo.lookup(memo.key(other_profile), other_profile) is None
    assert memo.lookup(memo.key(other_env), other_env) is None


def test_an_edited_config_makes_it_stale(tmp_path: Path) -> None:
    memo, frame, config, _ = remembered(tmp_path, Clock())
    config.write_text("[profile test]\nregion = us-west-2\n")
    assert memo.lookup(memo.key(frame), frame) is None


def test_any_write_to_the_vault_makes_it_stale(tmp_path: Path) -> None:
    """A rotate, remove, clear or a session refreshed elsewhere replaces or removes an item file."""
    memo, frame, _, vault = remembered(tmp_path, Clock())
    (vault / "item.tmp").write_bytes(b"sealed")
    os.replace(vault / "item.tmp", vault / "item")
    assert memo.lookup(memo.key(frame), frame) is None


def test_less_life_than_the_clients_min_ttl_is_not_given(tmp_path: Path) -> None:
    clock = Clock()
    memo, frame, _, _ = remembered(tmp_path, clock)
    clock.now = NOW + dt.timedelta(minutes=54)  # 6 minutes left, AWS_MIN_TTL 5m
    assert memo.lookup(memo.key(frame), frame) == REPLY
    clock.now = NOW + dt.timedelta(minutes=55, seconds=1)
    assert memo.lookup(memo.key(frame), frame) is None


def test_no_memo_without_a_change_signal_or_for_a_console_request(tmp_path: Path) -> None:
    frame, _, vault = world(tmp_path)
    assert AnswerMemo([], Clock()).key(frame) is None
    assert AnswerMemo([str(vault)], Clock()).key({**frame, "op": "console"}) is None


def test_the_marker_of_any_vault_write_makes_it_stale(tmp_path: Path) -> None:
    """The OS keychains have no directory to watch: every awsafe write marks vault.changed."""
    from awsafe.vault.marked import mark_changed

    frame, _, _ = world(tmp_path)
    marker = tmp_path / "home" / ".awsafe" / "vault.changed"
    memo = AnswerMemo([str(marker)], Clock())
    key = memo.key(frame)
    memo.remember(key, memo.snapshot(frame), frame, NOW + dt.timedelta(hours=1), REPLY)
    assert memo.lookup(key, frame) == REPLY
    mark_changed(marker)  # created
    assert memo.lookup(key, frame) is None
    memo.remember(key, memo.snapshot(frame), frame, NOW + dt.timedelta(hours=1), REPLY)
    mark_changed(marker)  # moved
    assert memo.lookup(key, frame) is None


def test_a_snapshot_taken_before_a_change_is_never_trusted_after_it(tmp_path: Path) -> None:
    """The snapshot is taken before the engine runs: a vault write during the answer (the
    engine caching a new session) leaves an entry that the next lookup already finds stale."""
    frame, _, vault = world(tmp_path)
    memo = AnswerMemo([str(vault)], Clock())
    key, before = memo.key(frame), memo.snapshot(frame)
    (vault / "session").write_bytes(b"sealed")
    memo.remember(key, before, frame, NOW + dt.timedelta(hours=1), REPLY)
    assert memo.lookup(key, frame) is None
