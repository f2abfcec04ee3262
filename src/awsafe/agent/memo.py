"""The agent's memo of answers: a `credentials` answer given again, without the engine, while
nothing it came from has changed.

An answer is a pure function of the request frame (profile, flags, the client's variables and
home), the config file, the vault's items and the clock. The memo keys on the frame and keeps,
with each answer, a snapshot of the identity (inode, size, mtime, ctime) of the config file and
of what moves with every vault write, taken *before* the engine ran: the marker file every
awsafe process touches after a write to any vault (``vault.marked``), and for the file vault
its directory too (each write replaces or removes an item file there). So a session refreshed
by another process, `add`, `rotate`, `remove`, `clear` or an edit of the config make every
entry they concern stale: the engine answers, and the memo learns the new answer. An answer
also stops being given once less than the client's AWS_MIN_TTL is left, as the session cache
would refuse it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from awsafe.durations import parse_min_ttl
from awsafe.errors import UsageError
from awsafe.paths import config_path

MAX_ENTRIES = 1024  # distinct (profile, environment) answers kept; the least recently used go

Snapshot = tuple[tuple[int, ...] | None, ...]


def _identity(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class AnswerMemo:
    """Credentials answers by request frame, each valid while its snapshot holds."""

    def __init__(self, watched: list[str], clock: Callable[[], dt.datetime]) -> None:
        self._watched = list(watched)  # what every vault write moves: the marker, a vault directory
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Snapshot, dt.datetime, dt.timedelta, dict[str, Any]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def key(self, frame: Mapping[str, Any]) -> str | None:
        """The memo key of a `credentials` frame; None for anything the memo does not keep."""
        if not self._watched or frame.get("op") != "credentials":
            return None
        try:
            return json.dumps(
                [frame.get("request"), frame.get("environ"), frame.get("home"), frame.get("vault")],
                sort_keys=True,
            )
        except (TypeError, ValueError):
            return None

    def snapshot(self, frame: Mapping[str, Any]) -> Snapshot | None:
        """The identity of the config file and of what vault writes move, or None when unknowable
        (a missing file counts: its creation changes the snapshot)."""
        environ, home = frame.get("environ"), frame.get("home")
        if not self._watched or not isinstance(environ, dict) or not isinstance(home, str):
            return None
        config = _identity(str(config_path(environ, Path(home))))
        return (config, *(_identity(path) for path in self._watched))

    def lookup(self, key: str | None, frame: Mapping[str, Any]) -> dict[str, Any] | None:
        """The reply remembered under ``key`` if its sources are unchanged and enough life is
        left; None otherwise (and a stale entry is dropped)."""
        if key is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        snapshot, expires_at, min_ttl, reply = entry
        if snapshot != self.snapshot(frame) or expires_at - self._clock() <= min_ttl:
            with self._lock:
                self._entries.pop(key, None)
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return reply

    def remember(
        self,
        key: str | None,
        snapshot: Snapshot | None,
        frame: Mapping[str, Any],
        expires_at: dt.datetime,
        reply: dict[str, Any],
    ) -> None:
        """Keep ``reply`` under ``key`` with the snapshot taken before the engine answered."""
        if key is None or snapshot is None or snapshot[0] is None:  # no config file: nothing to keep
            return
        environ = frame.get("environ")
        try:
            min_ttl = parse_min_ttl(environ if isinstance(environ, dict) else {})
        except UsageError:
            return
        with self._lock:
            self._entries[key] = (snapshot, expires_at, min_ttl, reply)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()
