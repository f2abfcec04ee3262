"""SSO tokens and OIDC client registrations kept in the vault (encrypted like everything there).

Items are named by a hash of the session (``sso-token/<id>``,
``sso-client/<id>-<flow>``) so no start URL shows in a file name or keychain
label; the record inside says which session it belongs to, for `list` and
`clear`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from awsafe.aws.sso import ClientRegistration
from awsafe.errors import StoreCorruptError
from awsafe.model import format_rfc3339, parse_rfc3339
from awsafe.sso.settings import SsoSession
from awsafe.vault.base import Store

TOKEN_PREFIX = "sso-token/"
CLIENT_PREFIX = "sso-client/"


@dataclasses.dataclass(frozen=True)
class SsoToken:
    """An access token of one session, and what renews it."""

    access_token: str = dataclasses.field(repr=False)
    expires_at: dt.datetime
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    registration: ClientRegistration | None = None  # the client that may refresh it

    def valid_for(self, now: dt.datetime) -> dt.timedelta:
        return self.expires_at - now

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token) and self.registration is not None


@dataclasses.dataclass(frozen=True)
class StoredToken:
    """A token as listed: which session it belongs to and until when (no secret)."""

    start_url: str
    session_name: str | None
    region: str
    expires_at: dt.datetime
    item: str

    @property
    def session(self) -> SsoSession:
        """Enough of the session to sign out of it or delete it (scopes are not kept)."""
        return SsoSession(self.start_url, self.region, self.session_name)


def _registration_fields(registration: ClientRegistration) -> dict[str, Any]:
    return {
        "ClientId": registration.client_id,
        "ClientSecret": registration.client_secret,
        "ExpiresAt": format_rfc3339(registration.expires_at),
        "Flow": registration.flow,
        "Scopes": list(registration.scopes),
    }


def _registration_from(data: dict[str, Any]) -> ClientRegistration:
    return ClientRegistration(
        client_id=str(data["ClientId"]),
        client_secret=str(data["ClientSecret"]),
        expires_at=parse_rfc3339(str(data["ExpiresAt"])),
        flow=str(data["Flow"]),
        scopes=tuple(str(scope) for scope in data.get("Scopes", [])),
    )


class SsoTokenStore:
    """Read and write the tokens and registrations of SSO sessions in a Store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- tokens ----------------------------------------------------------------------------

    def token(self, session: SsoSession) -> SsoToken | None:
        raw = self._store.get(TOKEN_PREFIX + session.item_id)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            registration = data.get("Registration")
            return SsoToken(
                access_token=str(data["AccessToken"]),
                expires_at=parse_rfc3339(str(data["ExpiresAt"])),
                refresh_token=data.get("RefreshToken") or None,
                registration=_registration_from(registration) if registration else None,
            )
        except (ValueError, KeyError, TypeError) as e:
            raise StoreCorruptError(
                f"the stored token of {session.describe()} is unreadable",
                hint="sign in again with: awsafe sso login",
            ) from e

    def put_token(self, session: SsoSession, token: SsoToken) -> None:
        data: dict[str, Any] = {
            "StartUrl": session.start_url,
            "SessionName": session.name,
            "Region": session.region,
            "AccessToken": token.access_token,
            "ExpiresAt": format_rfc3339(token.expires_at),
            "RefreshToken": token.refresh_token,
            "Registration": _registration_fields(token.registration) if token.registration else None,
        }
        self._store.set(TOKEN_PREFIX + session.item_id, json.dumps(data).encode())

    def delete_token(self, session: SsoSession) -> bool:
        return self._store.delete(TOKEN_PREFIX + session.item_id)

    def tokens(self) -> list[StoredToken]:
        """Every readable stored token (an unreadable one is listed by nothing and cleared by `clear`)."""
        found: list[StoredToken] = []
        for item in self._store.keys():
            if not item.startswith(TOKEN_PREFIX):
                continue
            try:
                data = json.loads(self._store.get(item) or b"")
                found.append(
                    StoredToken(
                        str(data["StartUrl"]),
                        data.get("SessionName"),
                        str(data["Region"]),
                        parse_rfc3339(str(data["ExpiresAt"])),
                        item,
                    )
                )
            except (ValueError, KeyError, TypeError, StoreCorruptError):
                continue
        return sorted(found, key=lambda t: (t.session_name or "", t.start_url))

    def clear(self) -> int:
        """Delete every token and registration; how many tokens."""
        removed = 0
        for item in self._store.keys():
            if item.startswith(TOKEN_PREFIX):
                removed += bool(self._store.delete(item))
            elif item.startswith(CLIENT_PREFIX):
                self._store.delete(item)
        return removed

    # -- client registrations --------------------------------------------------------------

    def registration(self, session: SsoSession, flow: str) -> ClientRegistration | None:
        raw = self._store.get(f"{CLIENT_PREFIX}{session.item_id}-{flow}")
        if raw is None:
            return None
        try:
            return _registration_from(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            return None  # a registration is cheap to make again

    def delete_registration(self, session: SsoSession, flow: str) -> None:
        self._store.delete(f"{CLIENT_PREFIX}{session.item_id}-{flow}")

    def put_registration(self, session: SsoSession, registration: ClientRegistration) -> None:
        item = f"{CLIENT_PREFIX}{session.item_id}-{registration.flow}"
        self._store.set(item, json.dumps(_registration_fields(registration)).encode())
