"""A Store whose every write moves a marker file's mtime: the cheap "has the vault changed?"
signal a long-running process (the agent's memo of answers) checks with one stat.

The file vault's directory changes with each write anyway; the OS keychains give no such
signal, so every awsafe process that writes to any vault marks ``~/.awsafe/vault.changed``.
A mark that cannot be made is logged, never an error: the write itself succeeded, and what
the mark protects (the agent answering again from memory) ends with the session's expiry.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from awsafe.statedir import UnsafeStateError, ensure_private_dir, open_private_file
from awsafe.vault.base import Store

log = logging.getLogger(__name__)

MARKER_NAME = "vault.changed"


def mark_changed(marker: Path) -> None:
    """Create ``marker`` (0600, never through a link) or move its mtime to now."""
    try:
        ensure_private_dir(marker.parent)
        fd = open_private_file(marker, os.O_WRONLY | os.O_CREAT)
        try:
            os.utime(fd)
        finally:
            os.close(fd)
    except (OSError, UnsafeStateError) as error:
        log.debug("cannot mark the vault changed at %s: %s", marker, type(error).__name__)


class ChangeMarkedStore:
    """``inner``, marking ``marker`` after every set and every delete that removed something."""

    def __init__(self, inner: Store, marker: Path) -> None:
        self.inner = inner
        self.marker = marker

    @property
    def name(self) -> str:  # the keychain store learns its real name on first use
        return self.inner.name

    @name.setter
    def name(self, value: str) -> None:
        self.inner.name = value

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def set(self, key: str, value: bytes) -> None:
        self.inner.set(key, value)
        mark_changed(self.marker)

    def delete(self, key: str) -> bool:
        removed = self.inner.delete(key)
        if removed:
            mark_changed(self.marker)
        return removed

    def keys(self) -> list[str]:
        return self.inner.keys()

    def unlock(self) -> None:
        """Unlock now: the file vault derives its keys; a keychain is opened by listing it."""
        unlock = getattr(self.inner, "unlock", None)
        if callable(unlock):
            unlock()
        else:
            self.inner.keys()

    def location(self) -> dict[str, str]:
        return self.inner.location()
