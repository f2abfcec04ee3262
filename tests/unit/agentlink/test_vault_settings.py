"""The backends' settings (--pass-dir and the like): flags before variables, paths absolute,
and part of the vault identity, so an agent for another store declines."""

from __future__ import annotations

from pathlib import Path

from awsafe.agentlink.request import resolve_vault_identity, resolve_vault_settings
from awsafe.cli.main import build_parser
from awsafe.cli.vault_flags import read_vault_flags


def test_flags_win_over_awsafe_then_aws_vault_variables(tmp_path: Path) -> None:
    environ = {
        "AWS_VAULT_PASS_PASSWORD_STORE_DIR": "~/av-store",
        "PASSWORD_STORE_DIR": "/pass-own",
        "AWSAFE_PASS_PREFIX": "mine",
        "AWS_VAULT_PASS_PREFIX": "aws-vault",
        "AWS_VAULT_PASS_CMD": "gopass",
        "AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME": "awsvault",
        "AWSAFE_KEEPASSXC_DB": "rel/db.kdbx",
    }
    settings = resolve_vault_settings({"pass-cmd": "pass"}, environ, tmp_path)
    assert settings == {
        "pass-dir": str(tmp_path / "av-store"),
        "pass-cmd": "pass",
        "pass-prefix": "mine",
        "secret-service-collection": "awsvault",
        "keepassxc-db": str(Path("rel/db.kdbx").absolute()),
    }
    assert resolve_vault_settings({}, {"PASSWORD_STORE_DIR": "/pass-own"}, tmp_path) == {
        "pass-dir": "/pass-own"
    }
    assert resolve_vault_settings({}, {}, tmp_path) == {}


def test_settings_are_part_of_the_vault_identity(tmp_path: Path) -> None:
    plain = resolve_vault_identity("pass", None, {}, tmp_path)
    assert set(plain) == {"backend", "file_dir"}  # unchanged when no setting is given
    other = resolve_vault_identity("pass", None, {"AWS_VAULT_PASS_PREFIX": "x"}, tmp_path)
    flagged = resolve_vault_identity("pass", None, {}, tmp_path, {"pass-prefix": "x"})
    assert other == flagged != plain


def test_every_command_takes_the_backend_flags_before_or_after_its_name() -> None:
    parser = build_parser()
    flags = ["--pass-dir", "/s", "--pass-prefix", "p", "--keychain", "aws-vault"]
    flags += ["--secret-service-collection", "awsvault", "--keepassxc-db", "/d", "--keyctl-keyring", "k"]
    for argv in (["list", *flags], [*flags, "list"]):
        assert read_vault_flags(parser.parse_args(argv)) == (
            ("pass-dir", "/s"),
            ("pass-prefix", "p"),
            ("keyctl-keyring", "k"),
            ("keepassxc-db", "/d"),
            ("keychain", "aws-vault"),
            ("secret-service-collection", "awsvault"),
        )
    assert read_vault_flags(parser.parse_args(["list"])) == ()
