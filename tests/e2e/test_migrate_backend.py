"""`awsafe migrate-backend` between the encrypted file and the real Secret Service (the
throwaway gnome-keyring scripts/test starts).

It writes items under the real service name "awsafe", so they run only inside that keyring.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from awsafe.credentials.stored import PREFIX, read_keys
from awsafe.model import Credentials
from awsafe.vault.file import FileStore
from awsafe.vault.keychain import KeychainStore
from tests.support.cli import run_main
from tests.support.keyring import THROWAWAY_KEYRING_ONLY

pytestmark = THROWAWAY_KEYRING_ONLY

KEYS = {
    "demo": Credentials("AKIAMIGRATEDEMO00001", "migrate/demo/secret"),
    "ci": Credentials("AKIAMIGRATECI0000002", "migrate:ci=secret"),
    "default": Credentials("AKIAMIGRATEDEFAULT03", "migrate default secret"),
}


def _keyring_items() -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """Every awsafe item of the keyring as it is (label, attributes, secret)."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        items = collection.search_items({"service": "awsafe"})
        return sorted((i.get_label(), sorted(i.get_attributes().items()), i.get_secret()) for i in items)


def _folder(path: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _keychain(home: Path) -> KeychainStore:
    return KeychainStore("awsafe", "secret-service", lock_path=home / ".awsafe" / "keychain-awsafe.lock")


def test_file_to_secret_service_and_back_loses_nothing(isolated_env: Path) -> None:
    vault = isolated_env / ".awsafe" / "vault"
    for profile, k in KEYS.items():
        keys_env = {"AWS_ACCESS_KEY_ID": k.access_key_id, "AWS_SECRET_ACCESS_KEY": k.secret_access_key}
        assert run_main("add", profile, "--env", "--no-add-config", env=keys_env).returncode == 0
    file_store = FileStore(vault, lambda: "test-passphrase", scrypt_log2n=14)
    file_store.set("sessions/demo-session", b"{}")  # renewed anyway: never moved
    file_store.set("sso-token/corp", b"{}")
    keychain = _keychain(isolated_env)
    assert not [key for key in keychain.keys() if key.startswith(PREFIX)], "the keyring is not empty"
    try:
        before_file, before_keyring = _folder(vault), _keyring_items()
        dry = run_main("migrate-backend", "--from", "file", "--to", "secret-service", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert dry.stderr.count("Would move: ") == 3
        assert (_folder(vault), _keyring_items()) == (before_file, before_keyring)

        marker = isolated_env / ".awsafe" / "vault.changed"
        marked = marker.stat().st_mtime_ns
        there = run_main("migrate-backend", "--from", "file", "--to", "secret-service")
        assert there.returncode == 0, there.stderr
        assert "1 session(s), 1 IAM Identity Center token(s)" in there.stderr
        assert marker.stat().st_mtime_ns > marked  # a running agent notices
        assert {p: read_keys(keychain, p) for p in KEYS} == KEYS
        assert {p: read_keys(file_store, p) for p in KEYS} == KEYS  # a copy: the source keeps them
        assert _keyring_items() != before_keyring

        back_dir = isolated_env / "back"
        back = run_main(
            "migrate-backend",
            "--from",
            "secret-service",
            "--to",
            "file",
            "--file-dir",
            str(back_dir),
            "--delete-source",
        )
        assert back.returncode == 0, back.stderr
        assert back.stderr.count("deleted from the secret-service vault") == 3
        returned = FileStore(back_dir, lambda: "test-passphrase")
        assert {p: read_keys(returned, p) for p in KEYS} == KEYS
        assert [key for key in returned.keys()] == sorted(PREFIX + p for p in KEYS)
        assert not [key for key in keychain.keys() if key.startswith(PREFIX)]
        for pair in KEYS.values():  # nothing of the keys in plaintext anywhere under HOME
            for data in _folder(isolated_env).values():
                assert pair.secret_access_key.encode() not in data
    finally:
        for key in keychain.keys():
            keychain.delete(key)
