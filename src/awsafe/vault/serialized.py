"""A Store shared by threads: one call at a time into a backend written for one thread (the agent).

The file vault derives its keys on first use without a lock (two threads could both prompt
or both run scrypt), and the keychain backends talk D-Bus through connections that
gnome-keyring handles badly under concurrent writes. Holding one lock per call costs a cache
hit microseconds; no call waits on the network or another process while holding it, except
the keychain's own write flock, which other writers hold for milliseconds.
"""

from __future__ import annotations

import threading

from awsafe.vault.base import Store


class SerializedStore:
    """``inner`` with every Store call made under one process-wide lock."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self._lock = threading.RLock()

    @property
    def name(self) -> str:  # the keychain store learns its real name on first use
        return self.inner.name

    @name.setter
    def name(self, value: str) -> None:
        self.inner.name = value

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self.inner.get(key)

    def set(self, key: str, value: bytes) -> None:
        with self._lock:
            self.inner.set(key, value)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self.inner.delete(key)

    def keys(self) -> list[str]:
        with self._lock:
            return self.inner.keys()

    def unlock(self) -> None:
        """Unlock now: the file vault derives its keys; a keychain is opened by listing it."""
        with self._lock:
            unlock = getattr(self.inner, "unlock", None)
            if callable(unlock):
                unlock()
            else:
                self.inner.keys()

    def location(self) -> dict[str, str]:
        with self._lock:
            return self.inner.location()
