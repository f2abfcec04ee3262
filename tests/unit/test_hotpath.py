"""The fast path: the argv forms it serves, and where (never) it writes its records."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsafe.cli import fastpath as front_door
from awsafe.credentials import fastpath


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["export", "test"], ("export", "test", "env", [])),
        (["export", "--format", "json", "test"], ("export", "test", "json", [])),
        (["export", "test", "--format=ini"], ("export", "test", "ini", [])),
        (["exec", "test", "--", "aws", "s3", "ls"], ("exec", "test", "env", ["aws", "s3", "ls"])),
        (["exec", "--", "true"], ("exec", "from-env", "env", ["true"])),
        (["exec", "test"], None),  # $SHELL with a notice: the full path
        (["export", "--region", "x", "test"], None),
        (["export", "-t", "123456", "test"], None),
        (["export", "--format", "yaml", "test"], None),
        (["export", "a", "b"], None),
        (["--debug", "export", "test"], None),
        (["list"], None),
        ([], None),
    ],
)
def test_parse_argv(argv: list[str], expected: object) -> None:
    assert front_door.parse_fast_path_argv(argv, {"AWS_PROFILE": "from-env"}) == expected


def test_memo_key_ignores_secrets_and_follows_what_shapes_resolution(tmp_path: Path) -> None:
    base = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config")}
    key = fastpath.fast_path_key("test", base)
    secrets = {"AWS_SECRET_ACCESS_KEY": "x", "AWSAFE_FILE_PASSPHRASE": "y"}
    assert fastpath.fast_path_key("test", {**base, **secrets}) == key
    assert fastpath.fast_path_key("test", {**base, "AWS_REGION": "eu-west-1"}) != key
    assert fastpath.fast_path_key("test", {**base, "AWS_SESSION_TOKEN_TTL": "2h"}) != key
    assert fastpath.fast_path_key("other", base) != key
    (tmp_path / "config").write_text("[profile test]\n")
    assert fastpath.fast_path_key("test", base) != key


@pytest.mark.parametrize("home", ["", "relative/home"])
def test_no_memo_without_an_absolute_home(home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fastpath.write_fast_path_record("k" * 64, {"HOME": home}, {"item": "sessions/x"})
    assert [p for p in tmp_path.rglob("*") if p.name in (".awsafe", "memo")] == []
    assert front_door.try_fast_path(["export", "test"], {"HOME": home}) is None
