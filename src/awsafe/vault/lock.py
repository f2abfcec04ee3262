"""A cross-process exclusive lock held on a lock file; it must never store or read any data."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from awsafe.statedir import open_private_file

if sys.platform != "win32":
    import fcntl


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created 0600, never through a link) for the ``with`` body.

    flock locks belong to the open file description, so threads of one process
    exclude each other too. On Windows this is a no-op: callers there must stay
    correct without it (the file vault's header uses ``os.link``). Raises OSError,
    or UnsafeStateError for a link or another user's file in its place.
    """
    fd = open_private_file(path, os.O_RDWR | os.O_CREAT)
    try:
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
