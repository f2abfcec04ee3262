"""How long the agent lives: an idle timeout, a maximum lifetime, its socket file still being its
own, and a stop asked for; one condition wait that wakes only at the next deadline.

Idle time counts from the end of the last credentials or console request (``status`` and
``stop`` are not use: a shell prompt polling the status must not keep an agent alive), and
never runs out while a request is being served. The maximum lifetime runs out whatever the
agent is doing. The socket file is checked (same device, inode and mtime) at every wake, at most
every ``watch_interval`` seconds (the idle timeout / 10, between 1 s and 30 s): an agent whose
socket was removed or replaced can no longer be reached, so it exits.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping

from awsafe.durations import parse_duration
from awsafe.errors import UsageError

DEFAULT_IDLE = dt.timedelta(hours=1)
DEFAULT_LIFETIME = dt.timedelta(hours=12)
MAX_LIFETIME = dt.timedelta(days=7)
MIN_WATCH, MAX_WATCH = 1.0, 30.0


def resolve_limits(
    idle: str | None, lifetime: str | None, environ: Mapping[str, str]
) -> tuple[dt.timedelta, dt.timedelta]:
    """The idle timeout and maximum lifetime from the flags, else AWSAFE_AGENT_IDLE /
    AWSAFE_AGENT_LIFETIME, else 1 h and 12 h; each at least one second, at most a week."""
    limits = []
    for flag, value, name, default in (
        ("--idle", idle, "AWSAFE_AGENT_IDLE", DEFAULT_IDLE),
        ("--lifetime", lifetime, "AWSAFE_AGENT_LIFETIME", DEFAULT_LIFETIME),
    ):
        text, what = (value, flag) if value else (environ.get(name), name)
        limit = parse_duration(text, what, maximum=MAX_LIFETIME) if text else default
        if limit < dt.timedelta(seconds=1):
            raise UsageError(f"{what} must be at least 1s")
        limits.append(limit)
    return limits[0], limits[1]


def _identity(path: str) -> tuple[int, int, int] | None:
    # The inode alone is not enough: a file made right after the unlink often gets the same one.
    # Its mtime is set by bind() and left alone by chmod and chown (a changed ctime is no reason).
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


class Lifetime:
    """The agent's deadlines and its stop; thread-safe. ``monotonic`` is injectable for tests."""

    def __init__(
        self,
        idle: dt.timedelta,
        lifetime: dt.timedelta,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle = idle.total_seconds()
        self.lifetime = lifetime.total_seconds()
        self.watch_interval = min(MAX_WATCH, max(MIN_WATCH, self.idle / 10))
        self._monotonic = monotonic
        self._started = monotonic()
        self._last_use = self._started
        self._busy = 0
        self._reason: str | None = None
        self._socket: str | None = None
        self._identity: tuple[int, int, int] | None = None
        # An RLock: stop() may run in a signal handler on the thread that holds it in wait().
        self._condition = threading.Condition(threading.RLock())

    # -- what the service tells it ------------------------------------------------

    def watch_socket(self, path: str) -> None:
        """Remember the socket file as it is now: a later change means it is not ours any more."""
        with self._condition:
            self._socket = path
            self._identity = _identity(path)

    def socket_is_ours(self) -> bool:
        return self._socket is None or (
            self._identity is not None and _identity(self._socket) == self._identity
        )

    def begin_use(self) -> None:
        with self._condition:
            self._busy += 1

    def end_use(self) -> None:
        with self._condition:
            self._busy -= 1
            self._last_use = self._monotonic()
            self._condition.notify_all()

    def stop(self, reason: str) -> None:
        """Ask the agent to exit (``agent stop``, a signal, a lost socket); the first reason stays."""
        with self._condition:
            if self._reason is None:
                self._reason = reason
            self._condition.notify_all()

    # -- what status shows ----------------------------------------------------------

    def idle_left(self) -> float:
        with self._condition:
            if self._busy:
                return self.idle
            return max(0.0, self._last_use + self.idle - self._monotonic())

    def lifetime_left(self) -> float:
        return max(0.0, self._started + self.lifetime - self._monotonic())

    @property
    def stopping(self) -> bool:
        return self._reason is not None

    # -- the wait ---------------------------------------------------------------------

    def _expired(self) -> str | None:
        if self._reason is not None:
            return self._reason
        now = self._monotonic()
        if now >= self._started + self.lifetime:
            return "its maximum lifetime ran out"
        if not self._busy and now >= self._last_use + self.idle:
            return "it was idle too long"
        if not self.socket_is_ours():
            return "its socket was removed or replaced"
        return None

    def _next_wake(self) -> float:
        now = self._monotonic()
        deadline = self._started + self.lifetime
        if not self._busy:
            deadline = min(deadline, self._last_use + self.idle)
        if self._socket is not None:
            deadline = min(deadline, now + self.watch_interval)
        return max(0.0, deadline - now)

    def wait(self) -> str:
        """Block until the agent should exit, waking only at its next deadline; the reason."""
        with self._condition:
            while True:
                reason = self._expired()
                if reason is not None:
                    self._reason = reason
                    return reason
                self._condition.wait(self._next_wake())
