"""The storage contract every vault backend implements; backends own only bytes by name."""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    """A small key/value store of secret bytes.

    Keys are short printable strings chosen by awsafe (such as
    ``credentials/demo``); a backend must never let a key name escape its
    storage (path traversal) and must never write a value in plaintext.
    Every method raises only ``awsafe.errors.StoreError`` subclasses.
    """

    name: str

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None."""
        ...

    def set(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing any earlier value atomically."""
        ...

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when something was removed."""
        ...

    def keys(self) -> list[str]:
        """Every key currently stored, sorted."""
        ...

    def location(self) -> dict[str, str]:
        """Where a later process finds this store again without the config (for the fast path);
        empty when it cannot (an in-memory store)."""
        ...
