"""Session-fetch locks: one fetch per session at a time, with a wait that says who waits and
gives up; the policy over the ``flock`` primitive, which holds the lock itself.

A lock belongs to the open file, so the kernel releases it when its holder
exits for any reason, ``kill -9`` included: a stale lock cannot wedge anyone.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from awsafe.errors import StoreError
from awsafe.flock import LockFile, lock_file
from awsafe.statedir import ensure_private_dir

POLL = 0.05


class FileLocks:
    """Locks named by short hex strings, kept as files in one 0700 directory."""

    def __init__(
        self,
        directory: Path,
        *,
        notice: Callable[[str], object] = lambda _: None,
        timeout: float = 600.0,
        notice_after: float = 1.0,
    ) -> None:
        self.directory = directory
        self._notice = notice
        self._timeout = timeout
        self._notice_after = notice_after

    @contextlib.contextmanager
    def hold(self, name: str, label: str) -> Iterator[None]:
        """Hold the lock ``name`` for the ``with`` body; ``label`` says what waits, for messages."""
        if not name.isalnum():
            raise ValueError("lock names are alphanumeric")
        with contextlib.ExitStack() as stack:
            try:
                ensure_private_dir(self.directory.parent)  # ~/.awsafe
                ensure_private_dir(self.directory)
                lock = stack.enter_context(lock_file(self.directory / f"{name}.lock"))
            except OSError as e:
                raise StoreError(f"cannot create a lock in {self.directory} ({e.strerror})") from e
            self._acquire(lock, label)
            yield

    def _acquire(self, lock: LockFile, label: str) -> None:
        # Polled rather than blocking, to say who waits and to give up after the timeout.
        started = time.monotonic()
        noticed = False
        while not lock.try_acquire():
            waited = time.monotonic() - started
            if waited >= self._timeout:
                raise StoreError(
                    f"gave up after {int(waited)}s waiting for another awsafe process fetching {label}"
                ) from None
            if not noticed and waited >= self._notice_after:
                self._notice(f"waiting for another awsafe process fetching {label}")
                noticed = True
            time.sleep(POLL)
