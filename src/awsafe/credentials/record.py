"""The stored form of a cached session (JSON inside a vault item); lean, for the cache-hit path.

It imports only json, hmac and the model, so the fast path can read a session
without the cache machinery. The record holds the session's credentials, its
key (kind, profile, MFA serial, configuration digest, source chain) and its
binding to the long-term keys it was derived from (a salt and a keyed digest).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
from collections.abc import Callable

from awsafe.credentials.stored import read_keys, render_keys_digest
from awsafe.model import Credentials, format_rfc3339, parse_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from awsafe.vault.base import Store

PREFIX = "sessions/"
SALT_BYTES = 16

# The stored keys of a profile, or None (StoredKeys.get, or read_keys on the fast path).
KeysLookup = Callable[[str], Credentials | None]


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


def render_binding(chain: list[str], keys: KeysLookup) -> dict[str, object]:
    """The record fields binding a session to the stored keys of its ``chain`` as they are now.

    Called BEFORE the fetch, with the same lookup the fetch reads its keys through, so
    the binding never names keys newer than those the session was made from.
    """
    salt = os.urandom(SALT_BYTES).hex()
    return {"KeysSalt": salt, "KeysDigest": render_keys_digest(salt, [(p, keys(p)) for p in chain])}


def is_bound_to_keys(fields: dict[str, object], keys: KeysLookup) -> bool:
    """Whether a record's session came from the keys stored now for the profiles of its Chain.

    A record without a binding (written before it existed) is not bound: a miss, fetched
    again. Raises what ``keys`` raises (unreadable stored keys are reported, not ignored).
    """
    salt, digest, chain = fields.get("KeysSalt"), fields.get("KeysDigest"), fields.get("Chain")
    if not (isinstance(salt, str) and isinstance(digest, str) and isinstance(chain, list)):
        return False
    if not all(isinstance(name, str) for name in chain):
        return False
    try:
        expected = render_keys_digest(salt, [(name, keys(name)) for name in chain])
    except ValueError:  # a salt that is not hex
        return False
    return hmac.compare_digest(expected.encode(), digest.encode("utf-8", "replace"))


def read_fresh(
    store: Store, item: str, digest: str, min_ttl_seconds: int, profile: str
) -> Credentials | None:
    """The fast path's read: the session in ``item`` if it was made for ``profile`` with ``digest``,
    from the keys stored now, and lives long enough.

    Never raises: an unreadable vault or record is a miss, and the full path reports it.
    """
    try:
        raw = store.get(item) if item.startswith(PREFIX) else None
        if raw is None:
            return None
        fields, credentials = parse_record(raw)
        # The fast path record only says where to look; what the session record says decides.
        if fields.get("Profile") != profile or fields.get("Digest") != digest:
            return None
        if not is_bound_to_keys(fields, lambda name: read_keys(store, name)):
            return None
    except Exception:  # noqa: BLE001 - any doubt means "let the full path decide"
        return None
    now = dt.datetime.now(dt.timezone.utc)
    if credentials.expires_within(now, dt.timedelta(seconds=min_ttl_seconds)):
        return None
    return credentials
