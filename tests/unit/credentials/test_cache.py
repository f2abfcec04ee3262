"""The session cache on its own: put and get, what makes a miss (another digest, too little time
left, an unreadable item, other long-term keys), and the decorator that fetches once per miss.

Binding to long-term keys in depth: test_cache_binding.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from awsafe.credentials.cache import DEFAULT_MIN_TTL, CachedProvider, SessionCache, SessionKey
from awsafe.credentials.record import PREFIX
from awsafe.credentials.stored import StoredKeys
from awsafe.errors import NoCredentialsError, VaultCorruptError
from awsafe.model import Credentials
from awsafe.vault.memory import MemoryStore

START = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
LONG_TERM = Credentials("AKIALONGLONGLONG0001", "long-term-secret-0123456789")


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class RecordingLocks:
    def __init__(self) -> None:
        self.held: list[tuple[str, str]] = []

    @contextlib.contextmanager
    def hold(self, name: str, label: str) -> Iterator[None]:
        self.held.append((name, label))
        yield


class Source:
    """A provider handing out a new session per call, valid for ``lifetime``."""

    def __init__(self, clock: Clock, lifetime: dt.timedelta | None = dt.timedelta(hours=1)) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0

    def retrieve(self) -> Credentials:
        self.calls += 1
        expires = None if self.lifetime is None else self.clock() + self.lifetime
        return Credentials(f"ASIASESSION{self.calls:09d}", f"session-secret-{self.calls}", "token", expires)

    def describe(self) -> str:
        return "the source"


def key(role: str = "arn:aws:iam::123456789012:role/r", profile: str = "test") -> SessionKey:
    return SessionKey.of("assume-role", profile, None, {"role_arn": role}, [profile, "demo"])


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    StoredKeys(store).set("demo", LONG_TERM)
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(store: MemoryStore, clock: Clock) -> SessionCache:
    return SessionCache(store, RecordingLocks(), clock)


def session(clock: Clock, left: dt.timedelta = dt.timedelta(hours=1), n: int = 1) -> Credentials:
    return Credentials(f"ASIASESSION{n:09d}", f"session-secret-{n}", "token", clock() + left)


def test_put_then_get_is_a_hit(cache: SessionCache, clock: Clock) -> None:
    credentials = session(clock)
    cache.put(key(), credentials, cache.bind(key()))
    assert cache.get(key()) == credentials


def test_an_empty_cache_is_a_miss(cache: SessionCache) -> None:
    assert cache.get(key()) is None


def test_another_digest_is_a_miss(cache: SessionCache, clock: Clock) -> None:
    cache.put(key(), session(clock), cache.bind(key()))
    assert cache.get(key(role="arn:aws:iam::123456789012:role/other")) is None


def test_an_item_copied_under_another_digests_name_is_a_miss(
    cache: SessionCache, store: MemoryStore, clock: Clock
) -> None:
    old, new = key(), key(role="arn:aws:iam::123456789012:role/edited")
    cache.put(old, session(clock), cache.bind(old))
    store.set(PREFIX + new.name, store.get(PREFIX + old.name) or b"")
    assert cache.get(new) is None
    assert cache.get(old) is not None


def test_the_item_name_shows_neither_profile_nor_role() -> None:
    name = key(role="arn:aws:iam::123456789012:role/secret-role", profile="prod").name
    assert name.isalnum() and len(name) == 40
    assert "prod" not in name and "secret-role" not in name


def test_a_session_within_min_ttl_of_expiry_is_a_miss(cache: SessionCache, clock: Clock) -> None:
    cache.put(key(), session(clock, left=dt.timedelta(minutes=10)), cache.bind(key()))
    assert cache.min_ttl == DEFAULT_MIN_TTL == dt.timedelta(minutes=5)
    clock.now += dt.timedelta(minutes=4, seconds=59)
    assert cache.get(key()) is not None  # 5 min 1 s left
    clock.now += dt.timedelta(seconds=1)
    assert cache.get(key()) is None  # exactly min_ttl left


def test_min_ttl_is_the_caches_setting(store: MemoryStore, clock: Clock) -> None:
    cache = SessionCache(store, RecordingLocks(), clock, min_ttl=dt.timedelta(minutes=30))
    cache.put(key(), session(clock, left=dt.timedelta(minutes=31)), cache.bind(key()))
    assert cache.get(key()) is not None
    clock.now += dt.timedelta(minutes=1)
    assert cache.get(key()) is None


def test_an_unreadable_item_is_a_miss_with_a_warning(
    cache: SessionCache, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.set(PREFIX + key().name, b"\x00 not a record")
    with caplog.at_level(logging.WARNING, logger="awsafe"):
        assert cache.get(key()) is None
    assert "a cached session of assume-role of profile 'test' is unreadable" in caplog.text


def test_an_unreadable_item_is_healed_by_the_next_fetch(
    cache: SessionCache, store: MemoryStore, clock: Clock
) -> None:
    store.set(PREFIX + key().name, b"{}")
    source = Source(clock)
    provider = CachedProvider(source, cache, key())
    assert provider.retrieve().access_key_id == "ASIASESSION000000001"
    assert provider.retrieve().access_key_id == "ASIASESSION000000001"
    assert source.calls == 1


def test_an_unreadable_item_is_not_listed_and_is_cleared(
    cache: SessionCache, store: MemoryStore, clock: Clock
) -> None:
    cache.put(key(), session(clock), cache.bind(key()))
    store.set(PREFIX + "0" * 40, b"garbage")
    assert [s.key for s in cache.sessions()] == [key()]
    assert cache.clear() == 2
    assert [k for k in store.keys() if k.startswith(PREFIX)] == []


class CorruptVault(MemoryStore):
    def get(self, key: str) -> bytes | None:
        raise VaultCorruptError("the file vault header is corrupt")


def test_a_corrupt_vault_is_reported_not_taken_for_a_miss(clock: Clock) -> None:
    cache = SessionCache(CorruptVault(), RecordingLocks(), clock)
    with pytest.raises(VaultCorruptError, match="header is corrupt"):
        cache.get(key())


def test_a_session_of_replaced_long_term_keys_is_a_miss(
    cache: SessionCache, store: MemoryStore, clock: Clock
) -> None:
    cache.put(key(), session(clock), cache.bind(key()))
    StoredKeys(store).set("demo", Credentials("AKIAOTHEROTHEROTH02", "another-secret-0123456789"))
    # The next process reads the keys anew (one process keeps the keys it read).
    assert SessionCache(store, RecordingLocks(), clock).get(key()) is None


def test_clear_derived_from_drops_only_sessions_of_that_chain(cache: SessionCache, clock: Clock) -> None:
    role = key()
    own = SessionKey.of("session-token", "solo", None, {}, ["solo"])
    cache.put(role, session(clock), cache.bind(role))
    cache.put(own, session(clock, n=2), cache.bind(own))
    assert cache.clear_derived_from(["demo"]) == 1
    assert cache.get(role) is None and cache.get(own) is not None


def test_the_decorator_fetches_once_then_serves_the_cache_under_the_keys_lock(
    store: MemoryStore, clock: Clock
) -> None:
    locks = RecordingLocks()
    cache = SessionCache(store, locks, clock)
    source = Source(clock)
    provider = CachedProvider(source, cache, key())
    first = provider.retrieve()
    assert provider.retrieve() == first
    assert source.calls == 1
    assert locks.held == [(key().name, "assume-role of profile 'test'")]  # only the miss locks
    clock.now += dt.timedelta(minutes=56)  # 4 minutes left: within min_ttl
    assert provider.retrieve().access_key_id == "ASIASESSION000000002"


def test_credentials_that_never_expire_are_passed_through_and_not_cached(
    cache: SessionCache, clock: Clock
) -> None:
    source = Source(clock, lifetime=None)
    provider = CachedProvider(source, cache, key())
    provider.retrieve()
    provider.retrieve()
    assert source.calls == 2
    assert cache.sessions() == []


def test_already_expired_credentials_are_refused_and_not_cached(cache: SessionCache, clock: Clock) -> None:
    source = Source(clock, lifetime=dt.timedelta(seconds=-1))
    with pytest.raises(NoCredentialsError, match="the source gave credentials that had already expired"):
        CachedProvider(source, cache, key()).retrieve()
    assert cache.get(key()) is None and cache.sessions() == []
