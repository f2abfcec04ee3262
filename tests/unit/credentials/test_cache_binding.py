"""Cached sessions are bound to the long-term keys they came from and to the key they were stored for."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from awsafe.credentials.cache import CachedProvider, SessionCache, SessionKey
from awsafe.credentials.record import PREFIX, read_fresh
from awsafe.credentials.stored import StoredKeys
from awsafe.errors import StoreCorruptError
from awsafe.model import Credentials
from awsafe.vault.memory import MemoryStore

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
OLD_KEYS = Credentials("AKIAOLDOLDOLDOLD0001", "old-long-term-secret-0123456789")
NEW_KEYS = Credentials("AKIANEWNEWNEWNEW0002", "new-long-term-secret-9876543210")


class NoLocks:
    def hold(self, name: str, label: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class Counting:
    """A provider that hands out a new session on each call and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def retrieve(self) -> Credentials:
        self.calls += 1
        return Credentials(
            f"ASIASESSION{self.calls:09d}",
            f"session-secret-{self.calls}",
            "token",
            NOW + dt.timedelta(hours=1),
        )

    def describe(self) -> str:
        return "counting"


def role_key(profile: str = "test") -> SessionKey:
    return SessionKey.of("assume-role", profile, None, {"role": profile}, [profile, "demo"])


@pytest.fixture
def items() -> dict[str, bytes]:
    """The vault's contents, shared by every 'process' (each opens its own store on it)."""
    items: dict[str, bytes] = {}
    StoredKeys(MemoryStore(items)).set("demo", OLD_KEYS)
    return items


def process(items: dict[str, bytes]) -> SessionCache:
    """The cache one awsafe process opens on the vault."""
    return SessionCache(MemoryStore(items), NoLocks(), lambda: NOW)


def session_items(items: dict[str, bytes]) -> list[str]:
    return [name for name in items if name.startswith(PREFIX)]


def test_a_session_of_replaced_keys_is_a_miss_and_is_fetched_again(items: dict[str, bytes]) -> None:
    inner = Counting()
    cache = process(items)
    first = CachedProvider(inner, cache, role_key()).retrieve()
    # `add` stored new keys and died before clearing the sessions: the old one is still there.
    StoredKeys(MemoryStore(items)).set("demo", NEW_KEYS)
    assert len(session_items(items)) == 1

    cache = process(items)
    assert cache.get(role_key()) is None
    second = CachedProvider(inner, cache, role_key()).retrieve()
    assert inner.calls == 2 and second.access_key_id != first.access_key_id
    cache = process(items)
    assert cache.get(role_key()) == second  # the new session is bound to the new keys


def test_a_session_of_removed_keys_is_a_miss(items: dict[str, bytes]) -> None:
    cache = process(items)
    CachedProvider(Counting(), cache, role_key()).retrieve()
    StoredKeys(MemoryStore(items)).delete("demo")
    assert process(items).get(role_key()) is None


def test_keys_restored_to_the_same_values_serve_the_session_again(items: dict[str, bytes]) -> None:
    cache = process(items)
    served = CachedProvider(Counting(), cache, role_key()).retrieve()
    StoredKeys(MemoryStore(items)).set("demo", NEW_KEYS)
    StoredKeys(MemoryStore(items)).set("demo", OLD_KEYS)
    assert process(items).get(role_key()) == served


def test_keys_added_to_a_keyless_source_make_its_sessions_a_miss(items: dict[str, bytes]) -> None:
    # An SSO or credential_process profile has no stored keys; storing some changes its source.
    key = SessionKey.of("sso", "sso-dev", None, {"sso": "corp"}, ["sso-dev"])
    cache = process(items)
    served = CachedProvider(Counting(), cache, key).retrieve()
    assert process(items).get(key) == served
    StoredKeys(MemoryStore(items)).set("sso-dev", NEW_KEYS)
    assert process(items).get(key) is None


def test_keys_replaced_during_a_fetch_bind_the_session_to_the_keys_it_used(items: dict[str, bytes]) -> None:
    """The chain read the keys first (e.g. to pick the source), then another process's `add` ran."""
    store = MemoryStore(items)
    keys = StoredKeys(store)
    assert keys.get("demo") == OLD_KEYS  # what the fetch signs with
    StoredKeys(MemoryStore(items)).set("demo", NEW_KEYS)

    class SignsWithWhatItRead(Counting):
        def retrieve(self) -> Credentials:
            assert keys.get("demo") == OLD_KEYS
            return super().retrieve()

    cache = SessionCache(store, NoLocks(), lambda: NOW, keys=keys)  # as build_provider wires it
    CachedProvider(SignsWithWhatItRead(), cache, role_key()).retrieve()
    assert process(items).get(role_key()) is None  # made from the old keys: never served


def test_a_record_without_a_binding_is_a_miss(items: dict[str, bytes]) -> None:
    cache = process(items)
    CachedProvider(Counting(), cache, role_key()).retrieve()
    (item,) = session_items(items)
    record = json.loads(items[item])
    del record["KeysSalt"], record["KeysDigest"]  # as written before sessions were bound
    items[item] = json.dumps(record).encode()
    assert process(items).get(role_key()) is None


def test_the_binding_reveals_neither_the_keys_nor_equal_keys(items: dict[str, bytes]) -> None:
    cache = process(items)
    CachedProvider(Counting(), cache, role_key("test")).retrieve()
    CachedProvider(Counting(), cache, role_key("other")).retrieve()
    records = [json.loads(items[name]) for name in session_items(items)]
    for record in records:
        text = json.dumps(record)
        assert OLD_KEYS.secret_access_key not in text and OLD_KEYS.access_key_id not in text
    one, two = records
    assert one["KeysSalt"] != two["KeysSalt"] and one["KeysDigest"] != two["KeysDigest"]


def test_unreadable_stored_keys_are_reported_not_served_over(items: dict[str, bytes]) -> None:
    cache = process(items)
    CachedProvider(Counting(), cache, role_key()).retrieve()
    items["credentials/demo"] = b"not json"
    with pytest.raises(StoreCorruptError, match="stored keys of profile 'demo'"):
        process(items).get(role_key())


def test_an_item_holding_another_keys_session_is_a_miss(items: dict[str, bytes]) -> None:
    """A vault item replaced by another session's record (same digest, other profile) is not served."""
    cache = process(items)
    CachedProvider(Counting(), cache, role_key("test")).retrieve()
    (test_item,) = session_items(items)
    other = SessionKey("assume-role", "other", None, role_key("test").digest, ("other", "demo"))
    items[PREFIX + other.name] = items[test_item]
    assert process(items).get(other) is None


@pytest.fixture
def stored_session(items: dict[str, bytes]) -> Iterator[tuple[MemoryStore, str, str]]:
    cache = process(items)
    CachedProvider(Counting(), cache, role_key()).retrieve()
    (item,) = session_items(items)
    yield MemoryStore(items), item, role_key().digest


def test_read_fresh_serves_only_the_profile_asked(stored_session: tuple[MemoryStore, str, str]) -> None:
    store, item, digest = stored_session
    assert read_fresh(store, item, digest, 300, "test") is not None
    assert read_fresh(store, item, digest, 300, "demo") is None


def test_read_fresh_declines_a_session_of_replaced_keys(stored_session: tuple[MemoryStore, str, str]) -> None:
    store, item, digest = stored_session
    StoredKeys(store).set("demo", NEW_KEYS)
    assert read_fresh(store, item, digest, 300, "test") is None
