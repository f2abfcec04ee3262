"""Plain value types shared by every layer; no I/O, and secrets never in a repr."""

from __future__ import annotations

import datetime as dt


def redact(value: str) -> str:
    """Show a key the way aws-vault does: only the last four characters."""
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * 16 + value[-4:]


class Credentials:
    """AWS credentials, immutable; long-lived when ``expires_at`` is None.

    A plain class, not a dataclass: it sits on the cache-hit path, where importing
    dataclasses (and inspect with it) would cost more than the rest of the hit.
    """

    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expires_at")
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expires_at: dt.datetime | None

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expires_at: dt.datetime | None = None,
    ) -> None:
        for name, value in zip(
            self.__slots__, (access_key_id, secret_access_key, session_token, expires_at), strict=True
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Credentials are immutable")

    def _fields(self) -> tuple[object, ...]:
        return (self.access_key_id, self.secret_access_key, self.session_token, self.expires_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    @property
    def is_temporary(self) -> bool:
        return self.session_token is not None

    def expires_within(self, now: dt.datetime, margin: dt.timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - now <= margin

    def __repr__(self) -> str:  # the dataclass repr would still show the key id in full
        return f"Credentials(access_key_id={redact(self.access_key_id)!r}, expires_at={self.expires_at!r})"


def format_rfc3339(moment: dt.datetime) -> str:
    """UTC, whole seconds, ``Z`` suffix: what SDKs and shell prompts parse."""
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> dt.datetime:
    """Accept ``Z`` or an offset, with or without fractional seconds (moto sends microseconds)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
