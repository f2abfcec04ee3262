"""aws-vault's pass store read back: items written the way aws-vault writes them (the keyring
item JSON through `pass insert -m -f`), with the real pass and a throwaway GPG key."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from awsafe.errors import StoreCorruptError, StoreError
from awsafe.migration.awsvault.pass_source import AwsVaultPassSource, open_pass_source
from awsafe.migration.awsvault.source import AwsVaultSource
from tests.support.gpg import GpgKey, run_pass

LONG_TERM = {
    "AccessKeyID": "AKIAEXAMPLEPASS00001",
    "SecretAccessKey": "pass-secret-access-key-0123456789abcdef",
    "SessionToken": "",
    "Source": "",
    "CanExpire": False,
    "Expires": "0001-01-01T00:00:00Z",
}


def _write_like_aws_vault(
    store: Path, gpg_key: GpgKey, path: str, key: str, credentials: dict[str, object]
) -> None:
    """99designs/keyring's pass backend: json.Marshal(Item) piped to `pass insert -m -f PREFIX/KEY`."""
    data = json.dumps(credentials, separators=(",", ":")).encode()
    item = {
        "Key": key,
        "Data": base64.b64encode(data).decode(),
        "Label": f"aws-vault ({key})",
        "Description": "",
        "KeychainNotTrustApplication": False,
        "KeychainNotSynchronizable": False,
    }
    run_pass(
        store, gpg_key, "insert", "-m", "-f", path, stdin=json.dumps(item, separators=(",", ":")).encode()
    )


@pytest.fixture
def aws_vault_store(gpg_key: GpgKey, tmp_path: Path) -> Path:
    store = gpg_key.init_pass_store(tmp_path / "password-store")
    _write_like_aws_vault(store, gpg_key, "aws-vault/demo", "demo", LONG_TERM)
    session = {**LONG_TERM, "AccessKeyID": "ASIASESSION", "SessionToken": "tok", "CanExpire": True}
    key = "sts.GetSessionToken,ZGVtbw,,1700000000"
    _write_like_aws_vault(store, gpg_key, f"aws-vault/{key}", key, session)
    # filepath.Join(prefix, key) turns the start URL's "//" into "/": a nested folder
    oidc = "oidc:https:/example.awsapps.com/start"
    _write_like_aws_vault(store, gpg_key, f"aws-vault/{oidc}", oidc, {"AccessToken": "t"})
    run_pass(store, gpg_key, "insert", "-m", "-f", "personal/bank", stdin=b"not aws-vault's")
    return store


def test_lists_and_reads_the_items_aws_vault_wrote(aws_vault_store: Path, gpg_key: GpgKey) -> None:
    source: AwsVaultSource = AwsVaultPassSource.from_environment(
        {
            **os.environ,
            **gpg_key.env,
            "AWS_VAULT_PASS_PASSWORD_STORE_DIR": str(aws_vault_store),
            "AWS_VAULT_PASS_PREFIX": "aws-vault",
        },
        Path("/nonexistent-home"),
    )
    assert source.name == "pass"
    assert source.keys() == [
        "demo",
        "oidc:https:/example.awsapps.com/start",
        "sts.GetSessionToken,ZGVtbw,,1700000000",
    ]
    assert json.loads(source.read("demo")) == LONG_TERM
    assert "demo" in source.describe("demo") and LONG_TERM["SecretAccessKey"] not in source.describe("demo")
    source.remove("demo")
    assert not (aws_vault_store / "aws-vault" / "demo.gpg").exists()
    assert (aws_vault_store / "personal" / "bank.gpg").exists()  # nothing else is touched


def test_opened_from_aws_vault_settings_as_the_import_registry_holds_them(tmp_path: Path) -> None:
    settings = SimpleNamespace(
        pass_dir=None, pass_cmd="gopass", pass_prefix="aws-vault", environ={"HOME": str(tmp_path)}
    )
    source = open_pass_source(settings)
    assert (source.folder, source.command) == (tmp_path / ".password-store" / "aws-vault", "gopass")


def test_aws_vaults_defaults_are_the_store_top_and_not_password_store_dir(tmp_path: Path) -> None:
    source = AwsVaultPassSource.from_environment({"PASSWORD_STORE_DIR": "/elsewhere"}, tmp_path)
    assert (source.directory, source.prefix, source.command) == (tmp_path / ".password-store", "", "pass")
    source = AwsVaultPassSource.from_environment({"AWS_VAULT_PASS_PASSWORD_STORE_DIR": "~/ps"}, tmp_path)
    assert source.directory == tmp_path / "ps"


def test_a_foreign_item_is_reported_not_guessed(aws_vault_store: Path, gpg_key: GpgKey) -> None:
    source = AwsVaultPassSource(aws_vault_store, environ={**os.environ, **gpg_key.env})
    assert "personal/bank" in source.keys()  # no prefix: the whole store, as aws-vault lists it
    with pytest.raises(StoreCorruptError, match="not an aws-vault item"):
        source.read("personal/bank")
    with pytest.raises(StoreError, match="not an item name"):
        source.read("../escape")
