"""A fake AWS IAM Identity Center (``sso-oidc`` + ``sso`` portal) on 127.0.0.1:<ephemeral>.

moto has no SSO, so tests point botocore at this server instead::

    with FakeSso(moto.url, accounts={"111111111111": ("dev", ["Admin"])}) as fake:
        monkeypatch.setenv(...)  # fake.env(): AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO

It speaks botocore's rest-json wire format (errors carry ``x-amzn-ErrorType`` plus an OAuth
``{"error", "error_description"}`` body for OIDC, ``{"message"}`` for the portal) and implements:

* OIDC: RegisterClient, StartDeviceAuthorization, CreateToken (device code with injectable
  ``authorization_pending``/``slow_down`` polls, authorization code with a real PKCE S256 check,
  refresh token rotation with injectable failures and a hook);
* the browser pages: ``/authorize`` (redirects to the client's loopback ``redirect_uri`` with a
  code, an ``access_denied`` error, or never) and ``/device?user_code=`` (approves a device code);
* the portal: GetRoleCredentials (real moto credentials from STS AssumeRole at ``sts_endpoint``),
  ListAccounts, ListAccountRoles (paginated), Logout.

Every request is recorded as an :class:`SsoCall`. Behaviour knobs are plain attributes that
tests may change at any time, also while the server runs. Note that GetRoleCredentials calls
moto's AssumeRole signed with the dummy admin key: moto's recorder sees that call (moto auth
must be off, which is the default).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.support.background import ServedInThread, quiet_http_server

if TYPE_CHECKING:
    pass

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
ACCOUNT_ACCESS_SCOPE = "sso:account:access"
SUPPORTED_GRANTS = frozenset({DEVICE_GRANT, CODE_GRANT, REFRESH_GRANT})

STS_ADMIN_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
STS_ADMIN_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

AuthorizeBehaviour = Literal["approve", "deny", "ignore"]
RefreshBehaviour = Literal["ok", "invalid_grant", "server_error"]

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DAY = 86400

# botocore error code -> (HTTP status, OAuth "error" value) for the OIDC API.
_OIDC_ERRORS: dict[str, tuple[int, str]] = {
    "AccessDeniedException": (400, "access_denied"),
    "AuthorizationPendingException": (400, "authorization_pending"),
    "ExpiredTokenException": (400, "expired_token"),
    "InternalServerException": (500, "server_error"),
    "InvalidClientException": (401, "invalid_client"),
    "InvalidClientMetadataException": (400, "invalid_client_metadata"),
    "InvalidGrantException": (400, "invalid_grant"),
    "InvalidRedirectUriException": (400, "invalid_redirect_uri"),
    "InvalidRequestException": (400, "invalid_request"),
    "InvalidScopeException": (400, "invalid_scope"),
    "SlowDownException": (400, "slow_down"),
    "UnauthorizedClientException": (400, "unauthorized_client"),
    "UnsupportedGrantTypeException": (400, "unsupported_grant_type"),
}
# botocore error code -> HTTP status for the portal API (ForbiddenException is unmodelled but real).
_PORTAL_ERRORS: dict[str, int] = {
    "ForbiddenException": 403,
    "InternalServerException": 500,
    "InvalidRequestException": 400,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
    "UnauthorizedException": 401,
}


@dataclass
class SsoCall:
    """One request as it reached the fake.

    ``params`` holds the JSON body (OIDC), the query string (browser pages) or the query string
    plus ``accessToken`` from the ``x-amz-sso_bearer_token`` header (portal). ``outcome`` is
    ``"ok"``, the error code answered (``"AuthorizationPendingException"``, ...) or, for the
    browser pages, ``"access_denied"``/``"ignored"``/``"invalid_request"``... ``pkce_verified``
    is set for authorization-code CreateToken calls whose verifier was checked.
    """

    operation: str
    params: dict[str, Any]
    grant_type: str | None = None
    outcome: str = "ok"
    pkce_verified: bool | None = None


class _Failure(Exception):
    """An error answer: the botocore error code plus a human message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, payload: Mapping[str, Any], status: int = 200) -> _Response:
        return cls(status, json.dumps(payload).encode())

    @classmethod
    def html(cls, title: str, text: str, status: int = 200) -> _Response:
        page = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        return cls(status, page.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> _Response:
        return cls(302, b"", "text/plain", [("Location", location)])


@dataclass
class _Client:
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    expires_at: float


@dataclass
class _DeviceGrant:
    client_id: str
    user_code: str
    expires_at: float
    status: Literal["pending", "approved", "denied", "used"] = "pending"
    polls: int = 0


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    used: bool = False


@dataclass
class _AccessToken:
    client_id: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass
class _RefreshToken:
    client_id: str
    status: Literal["active", "consumed", "revoked"] = "active"


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a PKCE code verifier (RFC 7636): base64url(sha256), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _redirect_matches(requested: str, registered: Sequence[str]) -> bool:
    """Exact match, or a loopback URI that differs only in its port (RFC 8252 section 7.3)."""
    if requested in registered:
        return True
    want = urlsplit(requested)
    if want.hostname not in _LOOPBACK_HOSTS:
        return False
    for uri in registered:
        have = urlsplit(uri)
        if (have.scheme, have.hostname, have.path) == (want.scheme, want.hostname, want.path):
            return True
    return False


def _with_query(uri: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _user_code() -> str:
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


class FakeSso(ServedInThread):
    """IAM Identity Center's OIDC and portal APIs on 127.0.0.1, recording every request.

    ``accounts`` maps an account id to ``(account name, role names)``. ``sts_endpoint`` is the
    moto server's base URL: GetRoleCredentials answers with credentials from moto's AssumeRole
    of ``arn:aws:iam::<account>:role/<role>`` (session name ``user_name``); with ``None`` it
    makes up random (unusable) credentials instead.
    """

    def __init__(
        self,
        sts_endpoint: str | None,
        accounts: Mapping[str, tuple[str, Sequence[str]]] | None = None,
        *,
        user_name: str = "sso-user",
        client_lifetime: float = 90 * _DAY,
        device_code_lifetime: int = 600,
        poll_interval: int = 1,
        pending_polls: int = 0,
        slow_down_polls: int = 0,
        token_lifetime: int = 3600,
        role_credentials_lifetime: int = 3600,
        page_size: int = 1,
        authorize_behaviour: AuthorizeBehaviour = "approve",
        refresh_behaviour: RefreshBehaviour = "ok",
        on_refresh: Callable[[dict[str, Any]], None] | None = None,
        auto_approve_device: bool = False,
    ) -> None:
        self.sts_endpoint = sts_endpoint
        self.accounts: dict[str, tuple[str, list[str]]] = {
            account_id: (name, list(roles)) for account_id, (name, roles) in (accounts or {}).items()
        }
        # Behaviour knobs: read on every request, so tests may change them at any time.
        self.user_name = user_name
        self.client_lifetime = client_lifetime  # seconds until a registration's secret expires
        self.device_code_lifetime = device_code_lifetime  # StartDeviceAuthorization expiresIn
        self.poll_interval = poll_interval  # StartDeviceAuthorization interval
        self.pending_polls = pending_polls  # first N device-code polls: AuthorizationPending
        self.slow_down_polls = slow_down_polls  # then N polls: SlowDown
        self.token_lifetime = token_lifetime  # CreateToken expiresIn
        self.role_credentials_lifetime = role_credentials_lifetime  # AssumeRole DurationSeconds
        self.page_size = page_size  # ListAccounts/ListAccountRoles page size (max_result caps it)
        self.authorize_behaviour: AuthorizeBehaviour = authorize_behaviour
        self.refresh_behaviour: RefreshBehaviour = refresh_behaviour
        self.on_refresh = on_refresh  # called with the CreateToken params of a refresh, unlocked
        self.auto_approve_device = auto_approve_device  # device codes approved without a browser

        self._lock = threading.Lock()
        self._calls: list[SsoCall] = []
        self._issued: list[tuple[str, str, str]] = []
        self._authorizations_started = 0
        self._clients: dict[str, _Client] = {}
        self._devices: dict[str, _DeviceGrant] = {}  # by device code
        self._user_codes: dict[str, str] = {}  # user code -> device code
        self._codes: dict[str, _AuthCode] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._sts: Any = None

        self._server = quiet_http_server(self._dispatch, lambda: [("x-amzn-RequestId", str(uuid.uuid4()))])
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._serve_in_thread("fake-sso", poll_interval=0.05)

    def env(self) -> dict[str, str]:
        """Environment that points botocore's ``sso-oidc`` and ``sso`` clients at this fake."""
        return {"AWS_ENDPOINT_URL_SSO_OIDC": self.url, "AWS_ENDPOINT_URL_SSO": self.url}

    # -- recorder and test helpers ------------------------------------------
    def calls(self, operation: str | None = None) -> list[SsoCall]:
        """Recorded requests (oldest first), optionally only those of one operation."""
        with self._lock:
            return [c for c in self._calls if operation is None or c.operation == operation]

    def reset_calls(self) -> None:
        """Forget recorded calls, issued credentials and the authorizations count (not tokens)."""
        with self._lock:
            self._calls.clear()
            self._issued.clear()
            self._authorizations_started = 0

    @property
    def authorizations_started(self) -> int:
        """Hits of /authorize plus StartDeviceAuthorization calls: sign-ins the user was asked for."""
        with self._lock:
            return self._authorizations_started

    @property
    def issued(self) -> list[tuple[str, str, str]]:
        """(account id, role name, access key id) for every GetRoleCredentials answered."""
        with self._lock:
            return list(self._issued)

    def secrets(self) -> set[str]:
        """Every client secret, access token and refresh token issued: none may reach a disk in plaintext."""
        with self._lock:
            return (
                {client.client_secret for client in self._clients.values()}
                | set(self._access)
                | set(self._refresh)
            )

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on (the portal answers 401)."""
        with self._lock:
            past = time.time() - 1
            for token in self._access.values():
                token.expires_at = min(token.expires_at, past)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is revoked (CreateToken answers InvalidGrant)."""
        with self._lock:
            for token in self._refresh.values():
                if token.status == "active":
                    token.status = "revoked"

    def expire_clients(self) -> None:
        """Every client registration so far is expired (InvalidClientException)."""
        with self._lock:
            past = time.time() - 1
            for client in self._clients.values():
                client.expires_at = min(client.expires_at, past)

    def is_access_token_valid(self, access_token: str) -> bool:
        with self._lock:
            token = self._access.get(access_token)
            return token is not None and not token.revoked and token.expires_at > time.time()

    # -- HTTP plumbing --------------------------------------------------------
    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Response:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        routes: dict[tuple[str, str], tuple[str, str, Callable[[SsoCall], _Response]]] = {
            ("POST", "/client/register"): ("RegisterClient", "oidc", self._register_client),
            ("POST", "/device_authorization"): ("StartDeviceAuthorization", "oidc", self._start_device),
            ("POST", "/token"): ("CreateToken", "oidc", self._create_token),
            ("GET", "/authorize"): ("Authorize", "page", self._authorize),
            ("GET", "/device"): ("DeviceVerify", "page", self._device_verify),
            ("GET", "/federation/credentials"): ("GetRoleCredentials", "portal", self._get_role_credentials),
            ("GET", "/assignment/accounts"): ("ListAccounts", "portal", self._list_accounts),
            ("GET", "/assignment/roles"): ("ListAccountRoles", "portal", self._list_account_roles),
            ("POST", "/logout"): ("Logout", "portal", self._logout),
        }
        route = routes.get((method, parts.path))
        if route is None:
            call = SsoCall(f"{method} {parts.path}", query, outcome="NotFound")
            self._record(call)
            return _Response.json({"message": f"no route for {method} {parts.path}"}, 404)
        operation, api, handler = route
        if api == "oidc":
            try:
                params = json.loads(body or b"{}")
                if not isinstance(params, dict):
                    raise ValueError("not an object")
            except ValueError:
                params = {"_body": body.decode("utf-8", "replace")}
                call = SsoCall(operation, params, outcome="InvalidRequestException")
                self._record(call)
                return self._error("oidc", _Failure("InvalidRequestException", "the body is not JSON"))
        else:
            params = dict(query)
            if api == "portal" and "x-amz-sso_bearer_token" in headers:
                params["accessToken"] = headers["x-amz-sso_bearer_token"]
        call = SsoCall(operation, params, grant_type=params.get("grantType") if api == "oidc" else None)
        try:
            response = handler(call)
        except _Failure as failure:
            call.outcome = failure.code
            response = self._error(api, failure)
        # Record before answering: a test that got its answer must find the call.
        self._record(call)
        return response

    def _record(self, call: SsoCall) -> None:
        with self._lock:
            self._calls.append(call)

    @staticmethod
    def _error(api: str, failure: _Failure) -> _Response:
        if api == "oidc":
            status, oauth_error = _OIDC_ERRORS[failure.code]
            response = _Response.json({"error": oauth_error, "error_description": failure.message}, status)
        elif api == "portal":
            status = _PORTAL_ERRORS[failure.code]
            response = _Response.json({"message": failure.message}, status)
        else:  # a browser page
            return _Response.html("Sign-in failed", f"{failure.code}: {failure.message}", 400)
        response.headers.append(("x-amzn-ErrorType", failure.code))
        return response

    # -- OIDC ---------------------------------------------------------------
    def _client(self, params: Mapping[str, Any]) -> _Client:
        """The registered, unexpired client named by clientId and clientSecret; lock held."""
        client = self._clients.get(str(params.get("clientId") or ""))
        if client is None:
            raise _Failure("InvalidClientException", "unknown client")
        if not secrets.compare_digest(str(params.get("clientSecret") or ""), client.client_secret):
            raise _Failure("InvalidClientException", "wrong client secret")
        if client.expires_at <= time.time():
            raise _Failure("InvalidClientException", "the client registration has expired")
        return client

    def _register_client(self, call: SsoCall) -> _Response:
        params = call.params
        if not params.get("clientName") or not params.get("clientType"):
            raise _Failure("InvalidRequestException", "clientName and clientType are required")
        if params["clientType"] != "public":
            raise _Failure("InvalidClientMetadataException", "clientType must be public")
        grant_types = tuple(params.get("grantTypes") or ())
        unsupported = set(grant_types) - SUPPORTED_GRANTS
        if unsupported:
            raise _Failure("UnsupportedGrantTypeException", f"unsupported grant types {sorted(unsupported)}")
        redirect_uris = tuple(params.get("redirectUris") or ())
        if CODE_GRANT in grant_types and not redirect_uris:
            raise _Failure("InvalidRedirectUriException", "authorization_code needs redirectUris")
        now = time.time()
        client = _Client(
            client_id=secrets.token_urlsafe(16),
            client_secret=secrets.token_urlsafe(48),
            scopes=tuple(params.get("scopes") or ()),
            grant_types=grant_types,
            redirect_uris=redirect_uris,
            expires_at=now + self.client_lifetime,
        )
        with self._lock:
            self._clients[client.client_id] = client
        return _Response.json(
            {
                "clientId": client.client_id,
                "clientSecret": client.client_secret,
                "clientIdIssuedAt": int(now),
                "clientSecretExpiresAt": int(client.expires_at),
            }
        )

    def _start_device(self, call: SsoCall) -> _Response:
        with self._lock:
            self._authorizations_started += 1
            client = self._client(call.params)
            if not call.params.get("startUrl"):
                raise _Failure("InvalidRequestException", "startUrl is required")
            device_code = secrets.token_urlsafe(32)
            user_code = _user_code()
            expires_in = self.device_code_lifetime
            self._devices[device_code] = _DeviceGrant(
                client_id=client.client_id,
                user_code=user_code,
                expires_at=time.time() + expires_in,
                status="approved" if self.auto_approve_device else "pending",
            )
            self._user_codes[user_code] = device_code
        return _Response.json(
            {
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": f"{self.url}/device",
                "verificationUriComplete": f"{self.url}/device?{urlencode({'user_code': user_code})}",
                "expiresIn": expires_in,
                "interval": self.poll_interval,
            }
        )

    def _create_token(self, call: SsoCall) -> _Response:
        grant_type = call.grant_type
        if grant_type == REFRESH_GRANT:
            return self._refresh_grant(call)
        with self._lock:
            client = self._client(call.params)
            if grant_type == DEVICE_GRANT:
                return self._device_grant(call, client)
            if grant_type == CODE_GRANT:
                return self._code_grant(call, client)
        raise _Failure("UnsupportedGrantTypeException", f"unsupported grantType {grant_type!r}")

    def _device_grant(self, call: SsoCall, client: _Client) -> _Response:
        """CreateToken with a device code; lock held."""
        grant = self._devices.get(str(call.params.get("deviceCode") or ""))
        if grant is None or grant.client_id != client.client_id or grant.status == "used":
            raise _Failure("InvalidGrantException", "invalid device code")
        if grant.expires_at <= time.time():
            raise _Failure("ExpiredTokenException", "the device code has expired")
        grant.polls += 1
        if grant.polls <= self.pending_polls:
            raise _Failure("AuthorizationPendingException", "authorization pending (injected)")
        if grant.polls <= self.pending_polls + self.slow_down_polls:
            raise _Failure("SlowDownException", "slow down (injected)")
        if grant.status == "denied":
            raise _Failure("AccessDeniedException", "the user denied the request")
        if grant.status != "approved":
            raise _Failure("AuthorizationPendingException", "the user has not approved yet")
        grant.status = "used"
        return self._issue_tokens(client)

    def _code_grant(self, call: SsoCall, client: _Client) -> _Response:
        """CreateToken with an authorization code and PKCE verifier; lock held."""
        params = call.params
        code = self._codes.get(str(params.get("code") or ""))
        if code is None or code.used:
            raise _Failure("InvalidGrantException", "unknown or already used authorization code")
        code.used = True  # single use, whatever happens next
        if code.client_id != client.client_id:
            raise _Failure("InvalidGrantException", "the code was issued to another client")
        if code.expires_at <= time.time():
            raise _Failure("InvalidGrantException", "the authorization code has expired")
        if params.get("redirectUri") != code.redirect_uri:
            raise _Failure("InvalidGrantException", "redirectUri differs from the one authorized")
        verifier = params.get("codeVerifier")
        call.pkce_verified = isinstance(verifier, str) and secrets.compare_digest(
            pkce_challenge(verifier), code.code_challenge
        )
        if not call.pkce_verified:
            raise _Failure("InvalidGrantException", "PKCE code verifier does not match the challenge")
        return self._issue_tokens(client)

    def _refresh_grant(self, call: SsoCall) -> _Response:
        if self.on_refresh is not None:
            self.on_refresh(dict(call.params))  # unlocked: the hook may call this fake
        with self._lock:
            client = self._client(call.params)
            if self.refresh_behaviour == "server_error":
                raise _Failure("InternalServerException", "internal error (injected)")
            if self.refresh_behaviour == "invalid_grant":
                raise _Failure("InvalidGrantException", "invalid refresh token (injected)")
            presented = str(call.params.get("refreshToken") or "")
            token = self._refresh.get(presented)
            if token is None or token.client_id != client.client_id:
                raise _Failure("InvalidGrantException", "unknown refresh token")
            if token.status != "active":
                raise _Failure("InvalidGrantException", f"the refresh token is {token.status}")
            token.status = "consumed"
            return self._issue_tokens(client)

    def _issue_tokens(self, client: _Client) -> _Response:
        """A fresh access token (and refresh token for sso:account:access clients); lock held."""
        refresh_token = None
        if ACCOUNT_ACCESS_SCOPE in client.scopes:
            refresh_token = f"aor{secrets.token_urlsafe(48)}"
            self._refresh[refresh_token] = _RefreshToken(client.client_id)
        access_token = f"aoa{secrets.token_urlsafe(48)}"
        lifetime = self.token_lifetime
        self._access[access_token] = _AccessToken(client.client_id, time.time() + lifetime, refresh_token)
        answer: dict[str, Any] = {"accessToken": access_token, "tokenType": "Bearer", "expiresIn": lifetime}
        if refresh_token is not None:
            answer["refreshToken"] = refresh_token
        return _Response.json(answer)

    # -- browser pages ------------------------------------------------------
    def _authorize(self, call: SsoCall) -> _Response:
        params = call.params
        with self._lock:
            self._authorizations_started += 1
            if params.get("response_type") != "code":
                raise _Failure("invalid_request", "response_type must be code")
            client = self._clients.get(params.get("client_id", ""))
            if client is None or client.expires_at <= time.time():
                raise _Failure("invalid_client", "unknown or expired client")
            if CODE_GRANT not in client.grant_types:
                raise _Failure("unauthorized_client", "the client did not register authorization_code")
            redirect_uri = params.get("redirect_uri", "")
            if not _redirect_matches(redirect_uri, client.redirect_uris):
                raise _Failure("invalid_redirect_uri", f"{redirect_uri!r} is not registered")
            if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
                raise _Failure("invalid_request", "PKCE with code_challenge_method=S256 is required")
            behaviour = self.authorize_behaviour
            state = {"state": params["state"]} if "state" in params else {}
            if behaviour == "ignore":
                call.outcome = "ignored"
                return _Response.html("Sign in", "Waiting for you to sign in...")
            if behaviour == "deny":
                call.outcome = "access_denied"
                denied = {"error": "access_denied", "error_description": "The user denied the request"}
                return _Response.redirect(_with_query(redirect_uri, {**denied, **state}))
            code = secrets.token_urlsafe(32)
            self._codes[code] = _AuthCode(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                code_challenge=params["code_challenge"],
                code_challenge_method=params["code_challenge_method"],
                expires_at=time.time() + 600,
            )
        return _Response.redirect(_with_query(redirect_uri, {"code": code, **state}))

    def _device_verify(self, call: SsoCall) -> _Response:
        with self._lock:
            device_code = self._user_codes.get(call.params.get("user_code", "").upper())
            grant = self._devices.get(device_code or "")
            if grant is None or grant.expires_at <= time.time() or grant.status == "used":
                raise _Failure("invalid_request", "unknown or expired user code")
            behaviour = self.authorize_behaviour
            if behaviour == "ignore":
                call.outcome = "ignored"
                return _Response.html("Authorize request", "Waiting for you to sign in...")
            if behaviour == "deny":
                grant.status = "denied"
                call.outcome = "access_denied"
                return _Response.html("Request denied", "You denied access.")
            grant.status = "approved"
        return _Response.html("Request approved", "You may close this window.")

    # -- portal -------------------------------------------------------------
    def _token(self, call: SsoCall) -> _AccessToken:
        """The valid access token from the bearer header; lock held."""
        token = self._access.get(str(call.params.get("accessToken") or ""))
        if token is None or token.revoked or token.expires_at <= time.time():
            raise _Failure("UnauthorizedException", "Session token not found or invalid")
        return token

    def _roles(self, account_id: str) -> list[str]:
        if account_id not in self.accounts:
            raise _Failure("ForbiddenException", "No access")
        return self.accounts[account_id][1]

    def _get_role_credentials(self, call: SsoCall) -> _Response:
        account_id = call.params.get("account_id", "")
        role_name = call.params.get("role_name", "")
        with self._lock:
            self._token(call)
            if not account_id or not role_name:
                raise _Failure("InvalidRequestException", "account_id and role_name are required")
            if role_name not in self._roles(account_id):
                raise _Failure("ForbiddenException", "No access")
        credentials = self._assume_role(account_id, role_name)
        with self._lock:
            self._issued.append((account_id, role_name, credentials["accessKeyId"]))
        return _Response.json({"roleCredentials": credentials})

    def _assume_role(self, account_id: str, role_name: str) -> dict[str, Any]:
        lifetime = self.role_credentials_lifetime
        if self.sts_endpoint is None:
            alphabet = string.ascii_uppercase + string.digits
            return {
                "accessKeyId": "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
                "secretAccessKey": secrets.token_urlsafe(30),
                "sessionToken": secrets.token_urlsafe(96),
                "expiration": int((time.time() + lifetime) * 1000),
            }
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._sts_client().assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                RoleSessionName=self.user_name,
                DurationSeconds=lifetime,
            )
        except (BotoCoreError, ClientError) as e:
            raise _Failure("InternalServerException", f"AssumeRole at {self.sts_endpoint} failed: {e}") from e
        creds = answer["Credentials"]
        return {
            "accessKeyId": creds["AccessKeyId"],
            "secretAccessKey": creds["SecretAccessKey"],
            "sessionToken": creds["SessionToken"],
            "expiration": int(creds["Expiration"].timestamp() * 1000),
        }

    def _sts_client(self) -> Any:
        with self._lock:
            if self._sts is None:
                import botocore.session
                from botocore.config import Config

                session = botocore.session.Session()
                # Neither the test's AWS config files nor its profile may shape this client.
                session.set_config_variable("config_file", os.devnull)
                session.set_config_variable("credentials_file", os.devnull)
                session.set_config_variable("profile", None)
                self._sts = session.create_client(
                    "sts",
                    region_name="us-east-1",
                    endpoint_url=self.sts_endpoint,
                    aws_access_key_id=STS_ADMIN_ACCESS_KEY_ID,
                    aws_secret_access_key=STS_ADMIN_SECRET_ACCESS_KEY,
                    config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
                )
            return self._sts

    def _page(
        self, call: SsoCall, items: list[dict[str, str]], kind: str
    ) -> tuple[list[dict[str, str]], str]:
        """One page of `items` from the request's next_token/max_result, and the next token."""
        start = 0
        token = call.params.get("next_token")
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
                if decoded["kind"] != kind:
                    raise ValueError(kind)
                start = int(decoded["offset"])
            except (ValueError, KeyError, TypeError, binascii.Error) as e:
                raise _Failure("InvalidRequestException", "invalid next_token") from e
        size = max(1, self.page_size)
        if call.params.get("max_result"):
            try:
                size = min(size, max(1, int(call.params["max_result"])))
            except ValueError as e:
                raise _Failure("InvalidRequestException", "invalid max_result") from e
        end = start + size
        next_token = ""
        if end < len(items):
            next_token = base64.urlsafe_b64encode(json.dumps({"kind": kind, "offset": end}).encode()).decode()
        return items[start:end], next_token

    def _list_accounts(self, call: SsoCall) -> _Response:
        with self._lock:
            self._token(call)
            accounts = [
                {"accountId": account_id, "accountName": name, "emailAddress": f"{name}@example.com"}
                for account_id, (name, _) in self.accounts.items()
            ]
        page, next_token = self._page(call, accounts, "accounts")
        answer: dict[str, Any] = {"accountList": page}
        if next_token:
            answer["nextToken"] = next_token
        return _Response.json(answer)

    def _list_account_roles(self, call: SsoCall) -> _Response:
        account_id = call.params.get("account_id", "")
        with self._lock:
            self._token(call)
            roles = [{"roleName": role, "accountId": account_id} for role in self._roles(account_id)]
        page, next_token = self._page(call, roles, f"roles:{account_id}")
        answer: dict[str, Any] = {"roleList": page}
        if next_token:
            answer["nextToken"] = next_token
        return _Response.json(answer)

    def _logout(self, call: SsoCall) -> _Response:
        with self._lock:
            token = self._access.get(str(call.params.get("accessToken") or ""))
            if token is None:
                raise _Failure("UnauthorizedException", "Session token not found or invalid")
            token.revoked = True  # an expired token may still log out
            if token.refresh_token is not None and token.refresh_token in self._refresh:
                refresh = self._refresh[token.refresh_token]
                if refresh.status == "active":
                    refresh.status = "revoked"
        return _Response(200, b"")
