"""The one cross-process lock primitive: an flock on a private lock file (0600, never through a
link, by way of ``statedir``); it stores and reads no data, and decides no waiting policy.

A lock belongs to the open file description, so the kernel releases it when its holder exits
for any reason, ``kill -9`` included (a stale lock cannot wedge anyone), and threads of one
process exclude each other too. Windows has no flock: there every lock is granted at once, and
callers must stay correct without it. The policies live on top: ``locks.FileLocks`` (session
fetches: poll, say who waits, give up) and ``vault.lock.exclusive_lock`` (vault writes: wait).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from awsafe.statedir import open_private_file

if sys.platform != "win32":
    import fcntl


class LockFile:
    """An open lock file; closing it (``lock_file`` does) releases the lock."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False at once if another holder has it."""
        if sys.platform == "win32":  # pragma: no cover - no flock
            return True
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def acquire(self) -> None:
        """Take the lock, waiting as long as another holder keeps it."""
        if sys.platform != "win32":
            fcntl.flock(self.fd, fcntl.LOCK_EX)


@contextlib.contextmanager
def lock_file(path: Path) -> Iterator[LockFile]:
    """Open (creating it 0600) the lock file ``path`` for the ``with`` body, not yet locked.

    Raises OSError, or UnsafeStateError for a link or another user's file in its place.
    """
    fd = open_private_file(path, os.O_RDWR | os.O_CREAT)
    try:
        yield LockFile(fd)
    finally:
        os.close(fd)  # closing releases the lock
