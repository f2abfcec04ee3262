"""The spinner shown on a terminal while a sign-in waits for the user; it never writes anywhere else.

It goes to stderr only when stderr is a terminal (the caller decides), so
``--stdout`` output and logs piped to a file stay clean of carriage returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TextIO

TICK_SECONDS = 0.15
FRAMES = "|/-\\"


class Spinner:
    """A one-character spinner redrawn in place with ``\\r``; does nothing without a stream."""

    def __init__(self, stream: TextIO | None, monotonic: Callable[[], float]) -> None:
        self._stream = stream
        self._monotonic = monotonic
        self._frames_shown = 0
        self._shown_at: float | None = None

    def tick(self) -> None:
        """Draw the next frame, unless the last one went up less than a tick ago (callers loop fast)."""
        if self._stream is None:
            return
        now = self._monotonic()
        if self._shown_at is not None and now - self._shown_at < TICK_SECONDS:
            return
        self._write("\r" + FRAMES[self._frames_shown % len(FRAMES)])
        self._frames_shown += 1
        self._shown_at = now

    def pause(self, seconds: float, sleep: Callable[[float], None]) -> None:
        """Sleep ``seconds``, ticking meanwhile.

        Without a spinner this is one plain ``sleep(seconds)``, so tests can read the poll
        intervals off a fake sleep. The slices are counted up front rather than measured, so a
        fake sleep that does not advance the clock cannot make this loop forever.
        """
        if self._stream is None:
            sleep(seconds)
            return
        slices = max(1, math.ceil(seconds / TICK_SECONDS))
        for _ in range(slices):
            self.tick()
            sleep(seconds / slices)

    def clear(self) -> None:
        """Blank the spinner's line, so the next output starts at column 0 on a clean line."""
        if self._shown_at is not None:
            self._write("\r \r")
            self._shown_at = None

    def _write(self, text: str) -> None:
        assert self._stream is not None
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._stream = None  # a terminal that went away must not fail the sign-in
