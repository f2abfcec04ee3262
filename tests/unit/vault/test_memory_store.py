"""MemoryStore honours the Store contract."""

from __future__ import annotations

import pytest

from awsafe.vault.memory import MemoryStore
from tests.support.store_contract import StoreContract, StoreFactory


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        shared: dict[str, bytes] = {}
        return lambda: MemoryStore(shared)


def test_stored_value_does_not_follow_later_mutation() -> None:
    value = bytearray(b"abc")
    store = MemoryStore()
    store.set("k", value)  # type: ignore[arg-type]  # a bytearray sneaking in must be copied
    value[0] = ord("X")
    assert store.get("k") == b"abc"
