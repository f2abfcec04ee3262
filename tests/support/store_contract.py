"""The behaviour every Store backend must show; backends subclass StoreContract, it tests nothing alone."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from awsafe.errors import StoreError
from awsafe.vault.base import Store

StoreFactory = Callable[[], Store]

BINARY = bytes(range(256))
LARGE = os.urandom(64 * 1024)
ODD_KEYS = [
    "credentials/demo",
    "a/b/c",
    "..",
    "../../escape",
    "per%cent%2F",
    "with space",
    "ünïcødé/профиль/鍵",
    "arn:aws:iam::123456789012:mfa/alice",
]


class StoreContract:
    """Subclass and override ``store_factory``: a fixture returning a callable that opens
    a *new* Store instance over the *same* storage each time it is called.

    ``max_value_bytes``: a backend with a hard size limit (the kernel keyring) says so; a larger
    value must then be refused with a StoreError that leaves the earlier value in place."""

    max_value_bytes: int | None = None

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        raise NotImplementedError("a StoreContract subclass must override store_factory")

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> Store:
        return store_factory()

    def test_name_is_a_nonempty_string(self, store: Store) -> None:
        assert isinstance(store.name, str) and store.name

    def test_location_is_plain_text_without_secrets(self, store: Store) -> None:
        location = store.location()
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in location.items())
        assert set(location) <= {"file_dir", "lock_path"}

    def test_empty_store_has_no_keys(self, store: Store) -> None:
        assert store.keys() == []
        assert store.get("credentials/demo") is None

    @pytest.mark.parametrize(
        "value", [b"", b"secret", BINARY, LARGE], ids=["empty", "ascii", "binary", "64KiB"]
    )
    def test_round_trip(self, store: Store, value: bytes) -> None:
        if self.max_value_bytes is not None and len(value) > self.max_value_bytes:
            store.set("credentials/demo", b"before")
            with pytest.raises(StoreError):
                store.set("credentials/demo", value)
            assert store.get("credentials/demo") == b"before"
            store.set("credentials/demo", value[: self.max_value_bytes])
            assert store.get("credentials/demo") == value[: self.max_value_bytes]
            return
        store.set("credentials/demo", value)
        got = store.get("credentials/demo")
        assert got == value
        assert isinstance(got, bytes)

    def test_overwrite_keeps_only_the_last_value(self, store: Store) -> None:
        store.set("k", b"first")
        store.set("k", b"second, longer than the first")
        store.set("k", b"3")
        assert store.get("k") == b"3"
        assert store.keys() == ["k"]

    def test_delete(self, store: Store) -> None:
        store.set("a", b"1")
        store.set("b", b"2")
        assert store.delete("a") is True
        assert store.get("a") is None
        assert store.get("b") == b"2"
        assert store.keys() == ["b"]
        assert store.delete("a") is False
        assert store.delete("never-stored") is False

    def test_keys_are_sorted_and_complete(self, store: Store) -> None:
        names = ["zeta", "alpha", "credentials/b", "credentials/a", "mid"]
        for i, name in enumerate(names):
            store.set(name, str(i).encode())
        assert store.keys() == sorted(names)
        for i, name in enumerate(names):
            assert store.get(name) == str(i).encode()

    def test_odd_key_names_round_trip(self, store: Store) -> None:
        for i, name in enumerate(ODD_KEYS):
            store.set(name, f"value {i}".encode())
        assert store.keys() == sorted(ODD_KEYS)
        for i, name in enumerate(ODD_KEYS):
            assert store.get(name) == f"value {i}".encode()
        for name in ODD_KEYS:
            assert store.delete(name) is True
        assert store.keys() == []

    def test_similar_names_are_distinct(self, store: Store) -> None:
        for name in ["a", "A", "a ", " a", "a/", "a/b", "a%2Fb"]:
            store.set(name, name.encode())
        for name in ["a", "A", "a ", " a", "a/", "a/b", "a%2Fb"]:
            assert store.get(name) == name.encode()

    def test_a_fresh_instance_sees_the_data(self, store_factory: StoreFactory) -> None:
        first = store_factory()
        first.set("credentials/demo", BINARY)
        first.set("ünïcødé", b"u")
        second = store_factory()
        assert second is not first
        assert second.keys() == ["credentials/demo", "ünïcødé"]
        assert second.get("credentials/demo") == BINARY
        second.delete("ünïcødé")
        assert store_factory().keys() == ["credentials/demo"]
