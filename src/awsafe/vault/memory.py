"""An in-memory Store for tests and dry runs; it must never touch disk or any keychain."""

from __future__ import annotations


class MemoryStore:
    """A dict-backed Store.

    Two instances built on the same ``items`` dict see each other's writes,
    which is how tests model "reopen the same storage".
    """

    name = "memory"

    def __init__(self, items: dict[str, bytes] | None = None) -> None:
        self._items: dict[str, bytes] = {} if items is None else items

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def set(self, key: str, value: bytes) -> None:
        # Copy so a caller mutating a bytearray afterwards cannot change what was stored.
        self._items[key] = bytes(value)

    def delete(self, key: str) -> bool:
        return self._items.pop(key, None) is not None

    def location(self) -> dict[str, str]:
        return {}

    def keys(self) -> list[str]:
        return sorted(self._items)
