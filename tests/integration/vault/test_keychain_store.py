"""KeychainStore against a real Secret Service daemon (gnome-keyring on a private D-Bus).

`scripts/test` starts one and sets AWSAFE_TEST_SECRET_SERVICE=required, so there a missing
daemon fails the run instead of skipping it.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from awsafe.vault.keychain import KeychainStore, usable_keychain_backend
from awsafe.vault.select import open_store
from tests.support.store_contract import StoreContract, StoreFactory

pytestmark = pytest.mark.secret_service

# Read at import, before the autouse fixture scrubs AWSAFE_* for each test.
REQUIRED = os.environ.get("AWSAFE_TEST_SECRET_SERVICE") == "required"


def _why_unreachable() -> str | None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset); run scripts/test"
    try:
        import secretstorage

        with closing(secretstorage.dbus_init()) as conn:
            if not secretstorage.check_service_availability(conn):
                return "no Secret Service daemon on the session bus"
            if secretstorage.get_default_collection(conn).is_locked():
                return "the default Secret Service collection is locked"
    except Exception as e:  # noqa: BLE001 - any failure here means "cannot test"
        return f"cannot reach the Secret Service: {type(e).__name__}: {e}"
    return None


@pytest.fixture(scope="session")
def secret_service() -> None:
    reason = _why_unreachable()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"AWSAFE_TEST_SECRET_SERVICE=required but {reason}", pytrace=False)
        pytest.skip(reason)


def _delete_service_items(service: str) -> None:
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        for item in collection.search_items({"service": service}):
            item.delete()


def _search(service: str, username: str) -> list[bytes]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        query = {"service": service, "username": username}
        return [item.get_secret() for item in collection.search_items(query)]


@pytest.fixture
def service(secret_service: None) -> Iterator[str]:
    name = f"awsafe-test-{uuid.uuid4().hex}"
    yield name
    _delete_service_items(name)


class TestKeychainStoreOnSecretService(StoreContract):
    @pytest.fixture
    def store_factory(self, service: str, tmp_path: Path) -> StoreFactory:
        return lambda: KeychainStore(service, "secret-service", lock_path=tmp_path / "state" / "kc.lock")


def test_items_really_live_in_the_secret_service(service: str, tmp_path: Path) -> None:
    store = KeychainStore(service, "secret-service", lock_path=tmp_path / "kc.lock")
    store.set("credentials/demo", b"\x00\xffsecret")
    assert _search(service, "item:credentials/demo") == [base64.b64encode(b"\x00\xffsecret")]
    assert [json.loads(raw) for raw in _search(service, "index")] == [["credentials/demo"]]
    assert store.delete("credentials/demo") is True
    assert _search(service, "item:credentials/demo") == []


def test_probe_finds_the_running_daemon(secret_service: None) -> None:
    assert usable_keychain_backend() == "secret-service"


def test_default_backend_is_the_secret_service(secret_service: None, tmp_path: Path) -> None:
    def never() -> str:
        raise AssertionError("the keychain needs no passphrase")

    store = open_store(None, file_dir=tmp_path / "vault", passphrase=never, state_dir=tmp_path / "state")
    assert isinstance(store, KeychainStore) and store.name == "secret-service"


WORKERS, KEYS_PER_WORKER = 4, 5


def _add_keys(service: str, lock_path: str, worker: int, start: object) -> None:
    store = KeychainStore(service, "secret-service", lock_path=Path(lock_path))
    start.wait()  # type: ignore[attr-defined]  # a multiprocessing Barrier
    for i in range(KEYS_PER_WORKER):
        store.set(f"worker{worker}/key{i}", f"{worker}:{i}".encode())


def test_concurrent_index_updates_lose_nothing(service: str, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    lock_path = str(tmp_path / "state" / "kc.lock")
    procs = [ctx.Process(target=_add_keys, args=(service, lock_path, w, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    store = KeychainStore(service, "secret-service", lock_path=Path(lock_path))
    expected = {
        f"worker{w}/key{i}": f"{w}:{i}".encode() for w in range(WORKERS) for i in range(KEYS_PER_WORKER)
    }
    assert store.keys() == sorted(expected)
    for name, value in expected.items():
        assert store.get(name) == value
