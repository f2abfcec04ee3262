"""The vault's write lock: wait as long as it takes for the flock primitive; no data, no timeout."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from awsafe.flock import lock_file


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created 0600, never through a link) for the ``with`` body.

    Writers hold it for milliseconds, so waiting without a limit is the policy. On Windows
    this is a no-op: callers there must stay correct without it (the file vault's header
    uses ``os.link``). Raises OSError, or UnsafeStateError for a link or another user's file
    in its place.
    """
    with lock_file(path) as lock:
        lock.acquire()
        yield
