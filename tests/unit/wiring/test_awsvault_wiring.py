"""Which aws-vault store `import aws-vault` reads, and its settings from aws-vault's variables."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest

from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.wiring.migration import aws_vault_settings, choose_store, open_aws_vault_store

HOME = Path("/home/me")


def _env(environ: dict[str, str]) -> Environment:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    return Environment(environ, io.StringIO(), io.StringIO(), io.StringIO(), HOME, lambda: now)


def test_the_flag_beats_the_variable_beats_aws_vaults_default() -> None:
    env = _env({"AWS_VAULT_BACKEND": "File", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"})
    assert choose_store("Secret-Service", env) == ("secret-service", "--from-backend")
    assert choose_store(None, env) == ("file", "AWS_VAULT_BACKEND")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="aws-vault's Linux default")
def test_on_linux_the_default_follows_the_session_bus() -> None:
    assert choose_store(None, _env({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"})) == (
        "secret-service",
        "aws-vault's default here",
    )
    with pytest.raises(
        UsageError, match="aws-vault's default store here is keyctl, which awsafe does not read"
    ):
        open_aws_vault_store(None, _env({"PATH": "/nonexistent"}))


def test_settings_come_from_aws_vaults_variables_with_its_defaults() -> None:
    default = aws_vault_settings(_env({}))
    assert (default.file_dir, default.secret_service_collection, default.keychain) == (
        HOME / ".awsvault" / "keys",
        "awsvault",
        "aws-vault",
    )
    given = aws_vault_settings(
        _env(
            {
                "AWS_VAULT_FILE_DIR": "~/vaults/aws",
                "AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME": "work",
                "AWS_VAULT_KEYCHAIN_NAME": "login",
                "AWS_VAULT_FILE_PASSPHRASE": "from the environment",
            }
        )
    )
    assert (given.file_dir, given.secret_service_collection, given.keychain) == (
        HOME / "vaults" / "aws",
        "work",
        "login",
    )
    assert given.passphrase() == "from the environment"
    assert "from the environment" not in repr(given)
