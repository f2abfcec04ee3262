"""IAM Identity Center calls: the OIDC service (sso-oidc) and the access portal (sso).

These calls are unsigned; the OIDC ones carry the client secret or a token in
their body and the portal ones the access token in a header. Every secret is
kept out of reprs and messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from awsafe.aws import client as clients
from awsafe.aws.client import Endpoint, calling, reading
from awsafe.model import Credentials

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
CLIENT_NAME = "awsafe"
LOOPBACK_REDIRECT = "http://127.0.0.1/oauth/callback"
# Bounds on what a device authorization answer may ask of us (AWS: 600 s and 5 s).
MAX_DEVICE_WAIT = 3600
MAX_POLL_INTERVAL = 60


@dataclasses.dataclass(frozen=True)
class ClientRegistration:
    """An OIDC client registered for one flow; reused until it expires."""

    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    expires_at: dt.datetime
    flow: str  # "device" or "pkce"
    scopes: tuple[str, ...] = ()


# flow ("pkce" | "device") -> a registration, stored or new.
Registrations = Callable[[str], ClientRegistration]


@dataclasses.dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str = dataclasses.field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


@dataclasses.dataclass(frozen=True)
class TokenGrant:
    access_token: str = dataclasses.field(repr=False)
    expires_at: dt.datetime
    refresh_token: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    email: str


def oidc_endpoint_url(endpoint: Endpoint) -> str:
    """The OIDC service's base URL (the browser's authorization page lives under it)."""
    return (endpoint.url or f"https://oidc.{endpoint.region}.amazonaws.com").rstrip("/")


def _oidc(endpoint: Endpoint) -> Any:
    return clients.make_client("sso-oidc", None, endpoint, attempts=1)  # a retried grant may be spent


def _portal(endpoint: Endpoint) -> Any:
    return clients.make_client("sso", None, endpoint, attempts=2)


def register_client(
    endpoint: Endpoint,
    *,
    flow: str,
    scopes: tuple[str, ...],
    start_url: str,
) -> ClientRegistration:
    params: dict[str, Any] = {"clientName": CLIENT_NAME, "clientType": "public"}
    if scopes:
        params["scopes"] = list(scopes)
    if flow == "pkce":
        params.update(
            grantTypes=[CODE_GRANT, REFRESH_GRANT],
            # RFC 8252 §7.3: a loopback redirect may use any port, so the registration names none
            # (as the AWS CLI's does) and stays valid for every sign-in's ephemeral port.
            redirectUris=[LOOPBACK_REDIRECT],
            issuerUrl=start_url,
        )
    what = "RegisterClient at IAM Identity Center"
    with calling(what):
        response = _oidc(endpoint).register_client(**params)
    with reading(what):
        return ClientRegistration(
            client_id=_text(response["clientId"]),
            client_secret=_text(response["clientSecret"]),
            expires_at=dt.datetime.fromtimestamp(_whole(response["clientSecretExpiresAt"]), dt.timezone.utc),
            flow=flow,
            scopes=scopes,
        )


def start_device_authorization(
    endpoint: Endpoint, client: ClientRegistration, start_url: str
) -> DeviceAuthorization:
    what = "StartDeviceAuthorization at IAM Identity Center"
    with calling(what):
        response = _oidc(endpoint).start_device_authorization(
            clientId=client.client_id, clientSecret=client.client_secret, startUrl=start_url
        )
    with reading(what):
        return DeviceAuthorization(
            device_code=_text(response["deviceCode"]),
            user_code=_text(response["userCode"]),
            verification_uri=_text(response["verificationUri"]),
            verification_uri_complete=_text(
                response.get("verificationUriComplete") or response["verificationUri"]
            ),
            expires_in=min(_whole(response.get("expiresIn", 600)), MAX_DEVICE_WAIT),
            interval=min(max(1, _whole(response.get("interval", 5))), MAX_POLL_INTERVAL),
        )


def authorize_url(
    endpoint: Endpoint,
    client: ClientRegistration,
    *,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: tuple[str, ...],
) -> str:
    """The page the browser opens for the authorization-code flow (PKCE, S256)."""
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "scopes": " ".join(scopes),
        "code_challenge": code_challenge,
    }
    encoded = urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    return f"{oidc_endpoint_url(endpoint)}/authorize?{encoded}"


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("not a text")
    return value


def _whole(value: object) -> int:
    """A whole number as the answer's JSON has it (not a string, not true/false)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not a whole number")
    return value


def _grant(response: dict[str, Any], now: dt.datetime, what: str) -> TokenGrant:
    with reading(what):
        refresh = response.get("refreshToken") or None
        return TokenGrant(
            access_token=_text(response["accessToken"]),
            expires_at=(now + dt.timedelta(seconds=_whole(response["expiresIn"]))).replace(microsecond=0),
            refresh_token=None if refresh is None else _text(refresh),
        )


def create_token(
    endpoint: Endpoint, client: ClientRegistration, now: dt.datetime, what: str, **grant: str
) -> TokenGrant:
    """CreateToken with one grant (device code, authorization code + verifier, or refresh token)."""
    with calling(what):
        response = _oidc(endpoint).create_token(
            clientId=client.client_id, clientSecret=client.client_secret, **grant
        )
    return _grant(response, now, what)


def get_role_credentials(
    endpoint: Endpoint, access_token: str, account_id: str, role_name: str
) -> Credentials:
    what = f"GetRoleCredentials for role {role_name} in account {account_id}"
    with calling(what):
        response = _portal(endpoint).get_role_credentials(
            accessToken=access_token, accountId=account_id, roleName=role_name
        )
    with reading(what):
        raw = response["roleCredentials"]
        return Credentials(
            access_key_id=_text(raw["accessKeyId"]),
            secret_access_key=_text(raw["secretAccessKey"]),
            session_token=_text(raw["sessionToken"]),
            expires_at=dt.datetime.fromtimestamp(_whole(raw["expiration"]) // 1000, dt.timezone.utc),
        )


def _pages(call: Any, key: str, what: str, **params: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page_params = dict(params, **({"nextToken": token} if token else {}))
        with calling(what):
            response = call(**page_params)
        yield from response.get(key, [])
        token = response.get("nextToken")
        if not token:
            return


def list_accounts(endpoint: Endpoint, access_token: str) -> list[Account]:
    portal = _portal(endpoint)
    return [
        Account(item["accountId"], item.get("accountName", ""), item.get("emailAddress", ""))
        for item in _pages(portal.list_accounts, "accountList", "ListAccounts", accessToken=access_token)
    ]


def list_account_roles(endpoint: Endpoint, access_token: str, account_id: str) -> list[str]:
    portal = _portal(endpoint)
    roles = _pages(
        portal.list_account_roles,
        "roleList",
        f"ListAccountRoles for account {account_id}",
        accessToken=access_token,
        accountId=account_id,
    )
    return [item["roleName"] for item in roles]


def logout(endpoint: Endpoint, access_token: str) -> None:
    with calling("Logout at IAM Identity Center"):
        _portal(endpoint).logout(accessToken=access_token)
