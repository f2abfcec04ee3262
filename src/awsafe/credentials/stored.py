"""Long-term access keys kept in the vault, one item per profile; the only code naming those items.

Also the digest that binds a cached session to the keys it was derived from.
Lean (json, hmac): the cache-hit fast path reads keys and checks that binding too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable

from awsafe.errors import NoCredentialsError, StoreCorruptError
from awsafe.model import Credentials

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs the fast path milliseconds
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
        """The keys of ``profile``, read once per instance: every user of one instance sees the same keys."""
        if profile not in self._cache:
            self._cache[profile] = read_keys(self._store, profile)
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


def read_keys(store: Store, profile: str) -> Credentials | None:
    """The keys stored for ``profile``, or None; StoreCorruptError when the item is unreadable."""
    raw = store.get(PREFIX + profile)
    return None if raw is None else _decode(raw, profile)


def render_keys_digest(salt: str, keys: Iterable[tuple[str, Credentials | None]]) -> str:
    """HMAC-SHA256, keyed with a random ``salt``, of each profile's stored keys (or their absence).

    It names the long-term keys a session came from without revealing them: it lives only
    inside the encrypted session record, and the salt (fresh per record) keeps equal keys from
    giving equal digests.
    """
    document = [
        [profile, None if k is None else [k.access_key_id, k.secret_access_key]] for profile, k in keys
    ]
    message = json.dumps(document, separators=(",", ":")).encode()
    return hmac.new(bytes.fromhex(salt), b"awsafe-keys-v1\0" + message, hashlib.sha256).hexdigest()


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

    @property
    def profile(self) -> str:
        return self._profile

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
