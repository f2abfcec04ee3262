"""The stored form of a cached session (JSON inside a vault item); lean, for the cache-hit path.

It imports only json and the model, so the fast path can read a session
without the cache machinery. The record holds the session's credentials and
its key (kind, profile, MFA serial, configuration digest, source chain).
"""

from __future__ import annotations

import datetime as dt
import json

from awsafe.model import Credentials, format_rfc3339, parse_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsafe.vault.base import Store

PREFIX = "sessions/"


def render_record(fields: dict[str, object], credentials: Credentials) -> bytes:
    assert credentials.expires_at is not None
    return json.dumps(
        {
            **fields,
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": format_rfc3339(credentials.expires_at),
        }
    ).encode()


def parse_record(raw: bytes) -> tuple[dict[str, object], Credentials]:
    """(the key fields, the credentials); ValueError, KeyError or TypeError when malformed."""
    data = json.loads(raw)
    credentials = Credentials(
        access_key_id=data.pop("AccessKeyId"),
        secret_access_key=data.pop("SecretAccessKey"),
        session_token=data.pop("SessionToken"),
        expires_at=parse_rfc3339(data.pop("Expiration")),
    )
    return data, credentials


def read_fresh(store: Store, item: str, digest: str, min_ttl_seconds: int) -> Credentials | None:
    """The fast path's read: the session in ``item`` if it still has ``digest`` and lives long enough.

    Never raises: an unreadable vault or record is a miss, and the full path reports it.
    """
    try:
        raw = store.get(item) if item.startswith(PREFIX) else None
        if raw is None:
            return None
        fields, credentials = parse_record(raw)
    except Exception:  # noqa: BLE001 - any doubt means "let the full path decide"
        return None
    now = dt.datetime.now(dt.timezone.utc)
    if fields.get("Digest") != digest or credentials.expires_within(
        now, dt.timedelta(seconds=min_ttl_seconds)
    ):
        return None
    return credentials
