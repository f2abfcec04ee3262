"""aws-vault's --secret-service-collection on awsafe's keychain backend: items go to that
collection of a real gnome-keyring (its in-memory ``session`` one), the default one is untouched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from awsafe.errors import StoreUnavailableError
from awsafe.vault.keychain import KeychainStore, resolve_collection_path
from tests.support.keyring import THROWAWAY_KEYRING_ONLY

pytestmark = THROWAWAY_KEYRING_ONLY


def _labels(path: str, service: str) -> list[str]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.Collection(conn, path)
        return sorted(
            item.get_attributes()["username"] for item in collection.search_items({"service": service})
        )


@pytest.fixture
def service() -> Iterator[str]:
    name = f"awsafe-test-{uuid.uuid4().hex}"
    yield name
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        for collection in secretstorage.get_all_collections(conn):
            for item in collection.search_items({"service": name}):
                item.delete()


def test_items_go_to_the_named_collection(service: str, tmp_path: Path) -> None:
    store = KeychainStore(service, "secret-service", lock_path=tmp_path / "kc.lock", collection="session")
    store.set("credentials/demo", b"secret")
    assert _labels(resolve_collection_path("session"), service) == ["index", "item:credentials/demo"]
    assert _labels(resolve_collection_path("default"), service) == []
    assert store.location() == {}  # the fast path would reopen the default collection: it declines
    again = KeychainStore(service, "secret-service", lock_path=tmp_path / "kc.lock", collection="session")
    assert again.keys() == ["credentials/demo"] and again.get("credentials/demo") == b"secret"


def test_a_missing_collection_is_named_in_the_error(service: str, tmp_path: Path) -> None:
    store = KeychainStore(service, "secret-service", lock_path=tmp_path / "kc.lock", collection="no such one")
    with pytest.raises(StoreUnavailableError, match="no collection 'no such one'"):
        store.keys()


def test_collection_names_become_dbus_paths() -> None:
    assert resolve_collection_path("awsvault") == "/org/freedesktop/secrets/collection/awsvault"
    assert resolve_collection_path("my-keys.2") == "/org/freedesktop/secrets/collection/my_keys_2"
    assert resolve_collection_path("default") == "/org/freedesktop/secrets/aliases/default"


def test_the_collection_setting_is_only_the_secret_services(tmp_path: Path) -> None:
    store = KeychainStore("s", "kwallet", lock_path=tmp_path / "kc.lock", collection="awsvault")
    assert store.location() == {"lock_path": str(tmp_path / "kc.lock")}
