"""The session cache: temporary credentials kept in the vault, keyed on what produced them.

A key combines the kind of session, the profile, the MFA serial and a digest
of the effective configuration (role ARN, external id, tags, durations, the
whole source chain), so editing any of them never serves stale credentials.
Each stored session is also bound to the long-term keys it was derived from
(`record.render_binding`): once those keys are replaced or removed it is a
miss, even if whatever should have cleared it never ran.
Fetches are serialised per key across processes: N parallel callers that miss
make one STS call and show one prompt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from awsafe.clock import Clock
from awsafe.credentials.provider import Provider
from awsafe.credentials.record import PREFIX, is_bound_to_keys, parse_record, render_binding, render_record
from awsafe.credentials.stored import StoredKeys
from awsafe.durations import DEFAULT_MIN_TTL
from awsafe.errors import NoCredentialsError, StoreCorruptError, VaultCorruptError
from awsafe.model import Credentials
from awsafe.vault.base import Store

log = logging.getLogger(__name__)


class Locks(Protocol):
    def hold(self, name: str, label: str) -> AbstractContextManager[None]: ...


@dataclasses.dataclass(frozen=True)
class SessionKey:
    kind: str  # "session-token", "assume-role", "process", ...
    profile: str
    mfa_serial: str | None
    digest: str  # sha256 of the identity of everything that produced the session
    chain: tuple[str, ...]  # the profiles it was derived from, the profile itself first

    @classmethod
    def of(
        cls, kind: str, profile: str, mfa_serial: str | None, identity: dict[str, Any], chain: Iterable[str]
    ) -> SessionKey:
        canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return cls(kind, profile, mfa_serial, digest, tuple(chain))

    @property
    def name(self) -> str:
        """Item and lock name: no profile name or ARN in it (they would show on disk)."""
        return hashlib.sha256(
            f"{self.kind}\0{self.profile}\0{self.mfa_serial}\0{self.digest}".encode()
        ).hexdigest()[:40]

    def describe(self) -> str:
        mfa = f" (MFA {self.mfa_serial})" if self.mfa_serial else ""
        return f"{self.kind} of profile {self.profile!r}{mfa}"


@dataclasses.dataclass(frozen=True)
class CachedSession:
    key: SessionKey
    credentials: Credentials
    fields: dict[str, object] = dataclasses.field(default_factory=dict, repr=False, compare=False)


def _encode(key: SessionKey, credentials: Credentials, binding: dict[str, object]) -> bytes:
    fields: dict[str, object] = {
        "Kind": key.kind,
        "Profile": key.profile,
        "MfaSerial": key.mfa_serial,
        "Digest": key.digest,
        "Chain": list(key.chain),
        **binding,
    }
    return render_record(fields, credentials)


def _decode(raw: bytes) -> CachedSession:
    try:
        data, credentials = parse_record(raw)
        chain = data["Chain"]
        assert isinstance(chain, list)
        serial = data["MfaSerial"]
        key = SessionKey(
            str(data["Kind"]),
            str(data["Profile"]),
            None if serial is None else str(serial),
            str(data["Digest"]),
            tuple(str(name) for name in chain),
        )
    except (ValueError, KeyError, TypeError, AssertionError) as e:
        raise StoreCorruptError("a cached session in the vault is unreadable; run: awsafe clear") from e
    return CachedSession(key, credentials, data)


class SessionCache:
    """Read, write and clear cached sessions in a Store."""

    def __init__(
        self,
        store: Store,
        locks: Locks,
        clock: Clock,
        min_ttl: dt.timedelta = DEFAULT_MIN_TTL,
        keys: StoredKeys | None = None,
    ) -> None:
        self._store = store
        # Share the chain builder's StoredKeys: a binding then names the very keys a fetch uses.
        self._keys = keys or StoredKeys(store)
        self._locks = locks
        self._clock = clock
        self.min_ttl = min_ttl

    def get(self, key: SessionKey) -> Credentials | None:
        """Fresh credentials for ``key``: None when missing, within ``min_ttl`` of expiring, or made
        from long-term keys other than those stored now."""
        try:
            raw = self._store.get(PREFIX + key.name)
            if raw is None:
                return None
            cached = _decode(raw)
        except VaultCorruptError:
            raise  # the whole vault is broken: say so, not "a cached session is unreadable"
        except StoreCorruptError:
            log.warning("a cached session of %s is unreadable; fetching a new one", key.describe())
            return None  # a cache heals itself: the fetch that follows overwrites the item
        if cached.key.digest != key.digest or cached.credentials.expires_within(self._clock(), self.min_ttl):
            return None
        if cached.key != key or not is_bound_to_keys(cached.fields, self._keys.get):
            log.debug("cached %s was made from other keys or for another key; fetching anew", key.describe())
            return None
        return cached.credentials

    def bind(self, key: SessionKey) -> dict[str, object]:
        """The binding of a session about to be fetched for ``key``: call it BEFORE fetching."""
        return render_binding(list(key.chain), self._keys.get)

    def has_expired(self, credentials: Credentials) -> bool:
        return credentials.expires_within(self._clock(), dt.timedelta(0))

    def put(self, key: SessionKey, credentials: Credentials, binding: dict[str, object]) -> None:
        self._store.set(PREFIX + key.name, _encode(key, credentials, binding))

    def lock(self, key: SessionKey) -> AbstractContextManager[None]:
        return self._locks.hold(key.name, key.describe())

    def _scan(self) -> tuple[list[CachedSession], list[str]]:
        """Every readable session, and the items of the unreadable ones."""
        found: list[CachedSession] = []
        unreadable: list[str] = []
        for item in self._store.keys():
            if not item.startswith(PREFIX):
                continue
            try:
                raw = self._store.get(item)
                if raw is not None:
                    found.append(_decode(raw))
            except StoreCorruptError:
                unreadable.append(item)
        return sorted(found, key=lambda s: (s.key.profile, s.key.kind)), unreadable

    def sessions(self) -> list[CachedSession]:
        """The readable cached sessions (an unreadable one is only a cache miss)."""
        return self._scan()[0]

    def clear(self, matches: Callable[[SessionKey], bool] = lambda _: True) -> int:
        """Delete the sessions whose key ``matches``, and every unreadable one; how many."""
        found, unreadable = self._scan()
        items = [PREFIX + s.key.name for s in found if matches(s.key)] + unreadable
        return sum(1 for item in items if self._store.delete(item))

    def clear_derived_from(self, profiles: Iterable[str]) -> int:
        """Drop every session derived from one of ``profiles`` (after their keys change)."""
        names = set(profiles)
        return self.clear(lambda key: bool(names.intersection(key.chain)))


class CachedProvider:
    """Caching as a decorator around any provider that returns expiring credentials."""

    def __init__(self, inner: Provider, cache: SessionCache, key: SessionKey) -> None:
        self._inner = inner
        self._cache = cache
        self.key = key

    def retrieve(self) -> Credentials:
        cached = self._cache.get(self.key)
        if cached is not None:
            log.debug("cache hit: %s", self.key.describe())
            return cached
        with self._cache.lock(self.key):
            cached = self._cache.get(self.key)  # another process may have fetched it meanwhile
            if cached is not None:
                log.debug("cache hit after waiting: %s", self.key.describe())
                return cached
            binding = self._cache.bind(self.key)  # the keys as they are before the fetch reads them
            credentials = self._inner.retrieve()
            if credentials.expires_at is not None:
                if self._cache.has_expired(credentials):
                    # a source that hands out dead credentials is broken; never serve or keep them
                    raise NoCredentialsError(
                        f"{self._inner.describe()} gave credentials that had already expired "
                        f"(at {credentials.expires_at:%Y-%m-%dT%H:%M:%SZ})"
                    )
                self._cache.put(self.key, credentials, binding)
            return credentials

    @property
    def inner(self) -> Provider:
        """What fetches on a miss (`explain` walks it to predict the calls)."""
        return self._inner

    def describe(self) -> str:
        return f"cached {self._inner.describe()}"


class LazyProvider:
    """Builds its provider only when credentials are needed, so a cache hit above it costs nothing."""

    def __init__(self, build: Callable[[], Provider], description: str) -> None:
        self._build = build
        self._description = description

    def retrieve(self) -> Credentials:
        return self._build().retrieve()

    def build(self) -> Provider:
        """The provider it stands for, built now: pure apart from reading which keys are
        stored (`explain` walks it without fetching)."""
        return self._build()

    def describe(self) -> str:
        return self._description
