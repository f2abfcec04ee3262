"""Long-term access keys kept in the vault, one item per profile; the only code naming those items."""

from __future__ import annotations

import json
from collections.abc import Callable

from awsafe.errors import NoCredentialsError, StoreCorruptError
from awsafe.model import Credentials
from awsafe.vault.base import Store

PREFIX = "credentials/"


class StoredKeys:
    """Read and write the long-term keys of profiles in a Store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, Credentials | None] = {}

    @property
    def backend(self) -> str:
        return self._store.name

    def get(self, profile: str) -> Credentials | None:
        if profile not in self._cache:
            raw = self._store.get(PREFIX + profile)
            self._cache[profile] = None if raw is None else _decode(raw, profile)
        return self._cache[profile]

    def has(self, profile: str) -> bool:
        return self.get(profile) is not None

    def set(self, profile: str, credentials: Credentials) -> None:
        payload = {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
        }
        self._store.set(PREFIX + profile, json.dumps(payload).encode())
        self._cache[profile] = credentials

    def delete(self, profile: str) -> bool:
        self._cache.pop(profile, None)
        return self._store.delete(PREFIX + profile)

    def profiles(self) -> list[str]:
        return sorted(key[len(PREFIX) :] for key in self._store.keys() if key.startswith(PREFIX))


def _decode(raw: bytes, profile: str) -> Credentials:
    try:
        data = json.loads(raw)
        return Credentials(access_key_id=data["AccessKeyId"], secret_access_key=data["SecretAccessKey"])
    except (ValueError, KeyError, TypeError) as e:
        raise StoreCorruptError(f"the stored keys of profile {profile!r} are unreadable") from e


class StoredKeysProvider:
    """The long-term keys of one profile, straight from the vault."""

    def __init__(
        self, keys: StoredKeys, profile: str, *, missing: Callable[[], Exception] | None = None
    ) -> None:
        self._keys = keys
        self._profile = profile
        self._missing = missing

    def retrieve(self) -> Credentials:
        credentials = self._keys.get(self._profile)
        if credentials is None:
            if self._missing is not None:
                raise self._missing()
            raise NoCredentialsError(
                f"no keys stored for profile {self._profile!r} in the {self._keys.backend} vault",
                hint=f"store them with: awsafe add {self._profile}",
            )
        return credentials

    def describe(self) -> str:
        return f"long-term keys of {self._profile!r} from the {self._keys.backend} vault"
