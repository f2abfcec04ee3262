"""The one reader of durations and whole numbers typed by users (flags, environment, config); pure.

Python's ``int()`` and ``str.isdigit()`` accept any Unicode digit ("١٢٣", "²")
and numbers of thousands of digits, and ``timedelta`` overflows on huge ones;
so every number a user gives awsafe goes through here: ASCII digits only, a
short text, and bounds checked before any arithmetic. Callers choose the
error class (a flag is a usage error, a config key a config error). Imported
by the cache-hit path, so it imports nothing heavy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from awsafe.errors import AwsafeError, UsageError

# Longer than any sane duration ("12h30m15s"), short enough that no arithmetic overflows.
MAX_TEXT = 32
# No duration awsafe reads means anything beyond a week (STS stops at 36 hours).
MAX_DURATION = dt.timedelta(days=7)
# Cached credentials with less life left than this are refreshed (aws-vault's default).
DEFAULT_MIN_TTL = dt.timedelta(minutes=5)

_SECONDS = re.compile(r"[0-9]{1,12}")
_GO_DURATION = re.compile(r"(?:[0-9]{1,9}(?:\.[0-9]{1,9})?[hms])+")
_PART = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,9})?)([hms])")
_SCALE = {"h": 3600, "m": 60, "s": 1}


def _shown(text: str) -> str:
    """The rejected text for a message, cut short (it came from the user; it may be long)."""
    return repr(text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "...")


def parse_whole_number(
    text: str, what: str, lowest: int, highest: int, *, error: type[AwsafeError] = UsageError
) -> int:
    """``text`` as an integer from ``lowest`` to ``highest``, written in ASCII digits."""
    value = text.strip()
    if len(value) > MAX_TEXT or not _SECONDS.fullmatch(value):
        raise error(f"{what} must be a whole number from {lowest} to {highest}, got {_shown(text)}")
    number = int(value)
    if not lowest <= number <= highest:
        raise error(f"{what} must be between {lowest} and {highest}, got {number}")
    return number


def parse_duration(
    text: str, what: str, *, maximum: dt.timedelta = MAX_DURATION, error: type[AwsafeError] = UsageError
) -> dt.timedelta:
    """Go-style durations as aws-vault takes them (``1h``, ``90m``, ``1h30m``, ``3600s``) or seconds.

    At most ``maximum``; the callers check tighter ranges themselves.
    """
    value = text.strip()
    if len(value) <= MAX_TEXT and _SECONDS.fullmatch(value):
        seconds = float(value)
    elif len(value) <= MAX_TEXT and _GO_DURATION.fullmatch(value):
        seconds = sum(float(number) * _SCALE[unit] for number, unit in _PART.findall(value))
    else:
        raise error(f"{what}: {_shown(text)} is not a duration (examples: 1h, 15m, 3600s)")
    if seconds > maximum.total_seconds():
        raise error(f"{what}: {_shown(text)} is longer than {render_duration(maximum)}")
    return dt.timedelta(seconds=seconds)


def render_duration(duration: dt.timedelta) -> str:
    """The shortest of ``36h``, ``15m``, ``90s`` that says exactly ``duration``."""
    seconds = int(duration.total_seconds())
    for unit in ("h", "m"):
        if seconds % _SCALE[unit] == 0 and seconds:
            return f"{seconds // _SCALE[unit]}{unit}"
    return f"{seconds}s"


def parse_min_ttl(environ: Mapping[str, str]) -> dt.timedelta:
    """AWS_MIN_TTL: cached credentials with less life left are refreshed (default 5 minutes)."""
    text = environ.get("AWS_MIN_TTL")
    return parse_duration(text, "AWS_MIN_TTL") if text else DEFAULT_MIN_TTL
