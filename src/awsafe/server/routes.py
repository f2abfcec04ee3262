"""The container credential protocol (reference §5.2) as a pure function of a request; no sockets.

Every request must come from a loopback peer, name an expected ``Host`` (against
DNS rebinding) and carry the random token, compared in constant time. Errors
are JSON ``{"code", "message"}`` with a proper status and never contain a secret.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from awsafe.clock import Clock
from awsafe.errors import AwsafeError, AwsError, MfaError, NoCredentialsError
from awsafe.model import Credentials, format_rfc3339

log = logging.getLogger("awsafe")

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

    @classmethod
    def error(cls, status: int, code: str, message: str) -> Response:
        return cls(status, json.dumps({"code": code, "message": message}).encode())


def render_container_credentials(credentials: Credentials) -> bytes:
    document = {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token or "",
    }
    if credentials.expires_at is not None:
        document["Expiration"] = format_rfc3339(credentials.expires_at)
    return json.dumps(document).encode()


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


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

    def __call__(self) -> Credentials:
        current = self._current
        if current is not None and not self._stale(current):
            return current
        with self._lock:
            if self._current is None or self._stale(self._current):
                self._current = self._fetch()
            return self._current

    def _stale(self, credentials: Credentials) -> bool:
        if credentials.expires_at is None:
            return False
        return (credentials.expires_at - self._clock()).total_seconds() <= self._margin


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
        if self._loopback_only and not is_loopback(request.peer):
            return Response.error(403, "Forbidden", "only local clients may ask for credentials")
        if request.headers.get("host", "").lower() not in self._allowed_hosts:
            return Response.error(403, "InvalidHost", "unexpected Host header")
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
        except MfaError as e:
            return Response.error(503, "MfaRequired", str(e))
        except NoCredentialsError as e:
            return Response.error(503, "NoCredentials", str(e))
        except AwsError as e:
            return Response.error(502, e.code or "AwsError", str(e))
        except AwsafeError as e:
            return Response.error(500, type(e).__name__, str(e))
        return Response.error(404, "NotFound", "no such route")
