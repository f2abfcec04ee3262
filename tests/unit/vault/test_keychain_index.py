"""KeychainStore over a fake keyring backend: the index, the encoding and error translation."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
    PasswordSetError,
)

from awsafe.errors import StoreCorruptError, StoreError, StoreLockedError, StoreUnavailableError
from awsafe.vault import keychain
from awsafe.vault.keychain import KeychainStore
from tests.support.store_contract import StoreContract, StoreFactory

Items = dict[tuple[str, str], str]


class FakeRing:
    """keyring's backend API over a dict; ``fail`` makes the next calls raise."""

    def __init__(self, items: Items, fail: BaseException | None = None, delay: float = 0) -> None:
        self.items, self.fail, self.delay = items, fail, delay

    def _maybe_fail(self) -> None:
        if self.fail is not None:
            raise self.fail
        time.sleep(self.delay)  # widens the read-modify-write window for the race test

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail()
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail()
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._maybe_fail()
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password!")


@pytest.fixture
def items() -> Items:
    return {}


@pytest.fixture
def use_ring(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeRing], None]:
    def install(ring: FakeRing) -> None:
        monkeypatch.setattr(keychain, "_backend_class", lambda name: lambda: ring)
        monkeypatch.setattr(keychain, "_why_not_viable", lambda cls: None)

    return install


@pytest.fixture
def store(tmp_path: Path, items: Items, use_ring: Callable[[FakeRing], None]) -> KeychainStore:
    use_ring(FakeRing(items))
    return KeychainStore("svc", "secret-service", lock_path=tmp_path / "state" / "kc.lock")


class TestKeychainStoreOverFakeRing(StoreContract):
    @pytest.fixture
    def store_factory(
        self, tmp_path: Path, items: Items, use_ring: Callable[[FakeRing], None]
    ) -> StoreFactory:
        use_ring(FakeRing(items))
        return lambda: KeychainStore("svc", "secret-service", lock_path=tmp_path / "kc.lock")


def test_layout_is_base64_items_and_a_json_index(store: KeychainStore, items: Items) -> None:
    store.set("credentials/demo", b"\x00secret")
    store.set("other", b"x")
    assert items[("svc", "item:credentials/demo")] == base64.b64encode(b"\x00secret").decode()
    assert json.loads(items[("svc", "index")]) == ["credentials/demo", "other"]
    store.delete("other")
    assert json.loads(items[("svc", "index")]) == ["credentials/demo"]


def test_a_key_named_like_the_index_does_not_clobber_it(store: KeychainStore) -> None:
    store.set("index", b"not the index")
    store.set("a", b"1")
    assert store.keys() == ["a", "index"]
    assert store.get("index") == b"not the index"


def test_listed_name_without_item_is_hidden(store: KeychainStore, items: Items) -> None:
    store.set("kept", b"1")
    items[("svc", "index")] = json.dumps(["kept", "crashed-before-the-item-was-written"])
    assert store.keys() == ["kept"]


@pytest.mark.parametrize("index", ["not json", '{"a": 1}', "[1, 2]"])
def test_corrupt_index(store: KeychainStore, items: Items, index: str) -> None:
    items[("svc", "index")] = index
    with pytest.raises(StoreCorruptError, match="index"):
        store.keys()


def test_item_that_is_not_base64_is_corrupt(store: KeychainStore, items: Items) -> None:
    items[("svc", "item:k")] = "plain text put there by something else"
    with pytest.raises(StoreCorruptError, match="item:k"):
        store.get("k")


def test_nul_in_a_key_name_is_refused(store: KeychainStore) -> None:
    with pytest.raises(StoreError, match="NUL"):
        store.set("a\0b", b"v")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (KeyringLocked("Failed to unlock the collection!"), StoreLockedError),
        (InitError("Failed to create the collection"), StoreUnavailableError),
        (NoKeyringError("No recommended backend"), StoreUnavailableError),
        (PasswordSetError("Can't store password"), StoreError),
        (KeyringError("something else"), StoreError),
        (type("LockedException", (Exception,), {})("item locked"), StoreLockedError),
        (ConnectionRefusedError(111, "Connection refused"), StoreError),
    ],
)
def test_keyring_errors_are_translated(
    tmp_path: Path,
    use_ring: Callable[[FakeRing], None],
    raised: BaseException,
    expected: type[StoreError],
) -> None:
    use_ring(FakeRing({}, fail=raised))
    store = KeychainStore("svc", "secret-service", lock_path=tmp_path / "kc.lock")
    for attempt in (
        lambda: store.get("k"),
        lambda: store.set("k", b"top-secret-value"),
        lambda: store.delete("k"),
        store.keys,
    ):
        with pytest.raises(StoreError) as caught:
            attempt()
        assert type(caught.value) is expected
        assert caught.value.__cause__ is raised
        assert "top-secret-value" not in str(caught.value)
        assert "secret-service" in str(caught.value)


def test_a_delete_that_fails_is_not_reported_as_absent(
    tmp_path: Path, items: Items, use_ring: Callable[[FakeRing], None]
) -> None:
    class StubbornRing(FakeRing):
        def delete_password(self, service: str, username: str) -> None:
            raise PasswordDeleteError("Can't delete password in keychain")

    items[("svc", "item:k")] = base64.b64encode(b"v").decode()
    use_ring(StubbornRing(items))
    store = KeychainStore("svc", "secret-service", lock_path=tmp_path / "kc.lock")
    with pytest.raises(StoreError, match="failed to delete"):
        store.delete("k")
    assert store.get("k") == b"v"


def test_unknown_backend_name(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="secret-service, keychain, wincred, kwallet"):
        KeychainStore("svc", "plaintext", lock_path=tmp_path / "kc.lock")


def test_no_usable_keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keychain, "usable_keychain_backend", lambda: None)
    store = KeychainStore("svc", None, lock_path=tmp_path / "kc.lock")
    with pytest.raises(StoreUnavailableError, match="no OS keychain"):
        store.get("k")


def test_backend_not_viable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keychain, "_backend_class", lambda name: object)
    monkeypatch.setattr(keychain, "_why_not_viable", lambda cls: "macOS required")
    store = KeychainStore("svc", "keychain", lock_path=tmp_path / "kc.lock")
    with pytest.raises(StoreUnavailableError, match="keychain is not available here: macOS"):
        store.keys()


def test_concurrent_index_updates_lose_nothing(
    tmp_path: Path, items: Items, use_ring: Callable[[FakeRing], None]
) -> None:
    # Each thread has its own store and so its own lock file descriptor, as processes would.
    use_ring(FakeRing(items, delay=0.002))
    lock_path = tmp_path / "kc.lock"

    def writer(worker: int) -> None:
        store = KeychainStore("svc", "secret-service", lock_path=lock_path)
        for i in range(5):
            store.set(f"w{worker}/k{i}", b"v")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = sorted(f"w{w}/k{i}" for w in range(8) for i in range(5))
    assert json.loads(items[("svc", "index")]) == expected
