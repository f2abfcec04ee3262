"""`awsafe import aws-vault` from aws-vault's Secret Service collection, in a real gnome-keyring.

The items are made the way aws-vault leaves them (99designs/keyring over go-libsecret): in a
collection whose object path ends in `/awsvault`, labelled with the key, attribute `profile` =
key, secret = the keyring item JSON (credential JSON base64 in `Data`). They are written by
libsecret's `secret-tool`, an independent Secret Service client.

Two steps stand in for what a desktop does: aws-vault's CreateCollection would make
gnome-keyring ask for the new keyring's password in a dialog, which this headless daemon
cannot show, so the collection is created with gnome-keyring's prompt-less
CreateWithMasterPassword; and `secret-tool store` writes only through an alias (gnome-keyring
has only `default`), so `default` points at the collection while secret-tool runs and is put
back after. Runs only inside scripts/test's throwaway keyring, never against your own.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from awsafe.credentials.stored import StoredKeys
from awsafe.model import Credentials
from awsafe.vault.file import FileStore
from tests.support.cli import run_main
from tests.support.env import caller_identity
from tests.support.keyring import THROWAWAY_KEYRING_ONLY
from tests.support.moto_server import MotoServer
from tests.support.worlds import EXTERNAL_ID, make_seed_account

pytestmark = THROWAWAY_KEYRING_ONLY

SECRETS = "/org/freedesktop/secrets"
SESSION = f"sts.GetSessionToken,ZGVtbw,,{int(time.time()) + 3600}"
OIDC = "oidc:https://corp.awsapps.com/start"


def _call(connection: Any, interface: str, method: str, signature: str, body: tuple[Any, ...]) -> Any:
    from jeepney import DBusAddress, new_method_call

    address = DBusAddress(SECRETS, bus_name="org.freedesktop.secrets", interface=interface)
    return connection.send_and_get_reply(new_method_call(address, method, signature, body)).body


def _keyring_item(key: str, credentials: dict[str, object]) -> str:
    # 99designs/keyring's Item, as Go's encoding/json marshals it (Data: []byte -> base64)
    data = base64.b64encode(json.dumps(credentials, separators=(",", ":")).encode()).decode()
    return json.dumps(
        {
            "Key": key,
            "Data": data,
            "Label": f"aws-vault ({key})",
            "Description": "",
            "KeychainNotTrustApplication": True,
            "KeychainNotSynchronizable": False,
        },
        separators=(",", ":"),
    )


@pytest.fixture
def awsvault_collection() -> Iterator[Any]:
    """An empty `awsvault` collection; a function that stores an item with secret-tool."""
    import secretstorage

    if shutil.which("secret-tool") is None:
        pytest.fail("secret-tool is missing (scripts/test installs libsecret-tools)", pytrace=False)
    with closing(secretstorage.dbus_init()) as connection:
        session = _call(
            connection, "org.freedesktop.Secret.Service", "OpenSession", "sv", ("plain", ("s", ""))
        )[1]
        (path,) = _call(
            connection,
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
            "CreateWithMasterPassword",
            "a{sv}(oayays)",
            (
                {"org.freedesktop.Secret.Collection.Label": ("s", "awsvault")},
                (session, b"", b"pw", "text/plain"),
            ),
        )
        assert path == f"{SECRETS}/collection/awsvault"

        def store(key: str, credentials: dict[str, object]) -> None:
            (previous,) = _call(connection, "org.freedesktop.Secret.Service", "ReadAlias", "s", ("default",))
            _call(connection, "org.freedesktop.Secret.Service", "SetAlias", "so", ("default", path))
            try:
                done = subprocess.run(
                    ["secret-tool", "store", f"--label={key}", "profile", key],
                    input=_keyring_item(key, credentials),
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
            finally:
                _call(connection, "org.freedesktop.Secret.Service", "SetAlias", "so", ("default", previous))
            assert done.returncode == 0, done.stderr

        try:
            yield store
        finally:
            secretstorage.Collection(connection, path).delete()


def _labels() -> list[str]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.Collection(connection, f"{SECRETS}/collection/awsvault")
        return sorted(item.get_label() for item in collection.get_all_items())


def test_import_from_the_awsvault_collection(
    moto: MotoServer, isolated_env: Path, awsvault_collection: Any
) -> None:
    key_id, secret, role_arn = make_seed_account(moto)
    awsvault_collection(
        "demo",
        {
            "AccessKeyID": key_id,
            "SecretAccessKey": secret,
            "SessionToken": "",
            "Source": "",
            "CanExpire": False,
        },
    )
    awsvault_collection(SESSION, {"AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t"})
    awsvault_collection(OIDC, {"Token": {"AccessToken": "x"}})
    assert _labels() == sorted(["demo", SESSION, OIDC])

    env = {"AWS_VAULT_BACKEND": "secret-service"}  # awsafe's own vault stays the file vault
    result = run_main("import", "aws-vault", "--delete-source", env=env)
    assert result.returncode == 0, result.stderr
    assert "Reading aws-vault's Secret Service collection 'awsvault' (AWS_VAULT_BACKEND)" in result.stderr
    lines = {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in result.stdout.splitlines()}
    assert lines["demo"].startswith("moved, removed from aws-vault")
    assert lines[SESSION].startswith("skipped: cached an STS session")
    assert lines[OIDC].startswith("skipped: an IAM Identity Center token")
    assert secret not in result.stdout + result.stderr

    vault = StoredKeys(
        FileStore(Path(os.environ["AWSAFE_FILE_DIR"]), lambda: "test-passphrase", scrypt_log2n=14)
    )
    assert vault.get("demo") == Credentials(key_id, secret)
    assert _labels() == sorted([SESSION, OIDC])  # only the moved key left aws-vault

    identity = caller_identity("test", moto.endpoint_env())
    assert identity.returncode == 0, identity.stderr
    (assume,) = moto.calls("AssumeRole")  # signature-checked by the SigV4 verifier
    assert assume.access_key_id == key_id and assume.params["ExternalId"] == EXTERNAL_ID
