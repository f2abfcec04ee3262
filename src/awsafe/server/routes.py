"""The container credential protocol (docs/commands/server.md#the-ecs-endpoint) and what every
local endpoint shares (Request, Response, the origin checks), as pure functions of a request;
no sockets.

Every request must come from a loopback peer, name an expected ``Host`` (against
DNS rebinding) and carry the random token, compared in constant time. Errors
are JSON ``{"code", "message"}`` with a proper status and never contain a secret.
Off loopback (``awsafe server --address`` on a bridge) the peer check is off and any
``Host`` naming an IP address passes too: containers name the address they reach
us by, and DNS rebinding always sends a name; the token is the guard there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from awsafe.clock import Clock
from awsafe.errors import AwsafeError, AwsError, MfaError, NoCredentialsError, UsageError
from awsafe.model import Credentials, format_rfc3339

log = logging.getLogger(__name__)

CREDENTIALS_PATH = "/"
ROLE_PATH = "/role-arn/"


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    peer: str


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. the IMDS token's TTL

    @classmethod
    def error(cls, status: int, code: str, message: str) -> Response:
        return cls(status, json.dumps({"code": code, "message": message}).encode())

    @classmethod
    def text(cls, text: str, *, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        return cls(200, text.encode(), "text/plain", headers)

    @classmethod
    def document(cls, document: Mapping[str, object]) -> Response:
        return cls(200, json.dumps(document).encode())


def render_container_credentials(credentials: Credentials) -> bytes:
    document = {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token or "",
    }
    # SDKs require an Expiration from this endpoint; long-lived keys get one an hour ahead
    # so that clients simply come back (the IMDS route does the same).
    expires_at = credentials.expires_at or dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    document["Expiration"] = format_rfc3339(expires_at)
    return json.dumps(document).encode()


def is_loopback(address: str) -> bool:
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def is_wildcard(address: str) -> bool:
    """``0.0.0.0``, ``::`` and their spellings (``0``, ``0.0``): every interface of the machine."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_unspecified
    except ValueError:
        pass
    try:
        return socket.inet_aton(address) == bytes(4)  # what bind() accepts for IPv4: "0" too
    except OSError:
        return False


def names_an_address(host: str) -> bool:
    """A ``Host`` value that is an IP address, with or without a port: never a DNS name."""
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
    else:
        address, _, port = host.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        return False
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def refuse_foreign(
    request: Request,
    allowed_hosts: frozenset[str],
    *,
    loopback_only: bool,
    local_peers: frozenset[str] = frozenset(),
) -> Response | None:
    """The origin checks every endpoint makes first: a local peer, and a ``Host`` we answer to.

    ``local_peers`` are addresses of this machine that are not loopback (the 169.254.169.254
    alias on ``lo``: a local client connecting to it has it as its source address too).
    The ``Host`` check defeats DNS rebinding: a web page cannot make a browser send ours.
    Without ``loopback_only`` any IP address passes too (a rebinding page sends a name).
    """
    if loopback_only and not (is_loopback(request.peer) or request.peer in local_peers):
        return Response.error(403, "Forbidden", "only local clients may ask for credentials")
    host = request.headers.get("host", "").lower()
    if host not in allowed_hosts and (loopback_only or not names_an_address(host)):
        return Response.error(403, "InvalidHost", "unexpected Host header")
    return None


def credential_failure(error: AwsafeError) -> Response:
    """A provider error as JSON, with the status a client can act on (5xx: try again later)."""
    if isinstance(error, MfaError):
        return Response.error(503, "MfaRequired", str(error))
    if isinstance(error, NoCredentialsError):
        return Response.error(503, "NoCredentials", str(error))
    if isinstance(error, AwsError):
        return Response.error(502, error.code or "AwsError", str(error))
    return Response.error(500, type(error).__name__, str(error))


class FreshCredentials:
    """The last credentials in memory, refetched only when they near expiry (one fetch at a time).

    A busy endpoint must not read the vault, let alone call STS, per request.
    """

    def __init__(self, fetch: Callable[[], Credentials], clock: Clock, min_ttl_seconds: float) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = min_ttl_seconds
        self._lock = threading.Lock()
        self._current: Credentials | None = None
        self._hold_until: dt.datetime | None = None

    def __call__(self) -> Credentials:
        current = self._current
        if current is not None and not self._stale(current):
            return current
        with self._lock:
            if self._current is None or self._stale(self._current):
                self._current = self._fetch()
                self._hold_until = None
                if self._stale(self._current):
                    # AWS_MIN_TTL is longer than these credentials live: without this, every
                    # request would call STS (and ask for an MFA code). Keep them a while.
                    now = self._clock()
                    left = (self._current.expires_at or now) - now
                    self._hold_until = now + max(dt.timedelta(seconds=30), left / 2)
            return self._current

    def _stale(self, credentials: Credentials) -> bool:
        if credentials.expires_at is None:
            return False
        now = self._clock()
        if self._hold_until is not None and now < self._hold_until:
            return False
        return (credentials.expires_at - now).total_seconds() <= self._margin


class EcsRoutes:
    """Answer container-credential requests for one profile."""

    def __init__(
        self,
        token: str,
        credentials: Callable[[], Credentials],
        allowed_hosts: frozenset[str],
        *,
        role_credentials: Callable[[str], Credentials] | None = None,
        loopback_only: bool = True,
    ) -> None:
        self._token = token.encode()
        self._credentials = credentials
        self._role_credentials = role_credentials
        self._allowed_hosts = allowed_hosts
        self._loopback_only = loopback_only

    def handle(self, request: Request) -> Response:
        refused = refuse_foreign(request, self._allowed_hosts, loopback_only=self._loopback_only)
        if refused is not None:
            return refused
        if request.method != "GET":
            return Response.error(405, "MethodNotAllowed", "only GET is supported")
        given = request.headers.get("authorization")
        if not given:
            return Response.error(401, "Unauthorized", "missing Authorization header")
        if not hmac.compare_digest(given.encode(), self._token):
            return Response.error(403, "Forbidden", "invalid authorization token")
        path = request.path.split("?", 1)[0]
        try:
            if path == CREDENTIALS_PATH:
                return Response(200, render_container_credentials(self._credentials()))
            if path.startswith(ROLE_PATH) and self._role_credentials is not None:
                role_arn = unquote(path[len(ROLE_PATH) :])
                return Response(200, render_container_credentials(self._role_credentials(role_arn)))
        except UsageError as e:
            return Response.error(400, "BadRequest", str(e))
        except AwsafeError as e:
            return credential_failure(e)
        return Response.error(404, "NotFound", "no such route")
