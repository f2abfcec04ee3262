"""The EC2 instance metadata protocol, IMDSv2 (docs/commands/server.md#imds-mode), as a pure
function of a request; no sockets.

A client PUTs ``/latest/api/token`` with a TTL and gets a random session token, which
every GET then carries. Unlike the ECS token, these tokens are no shared secret: any
local process may ask for one, as on EC2. What keeps the credentials local is what
every endpoint checks first (loopback peers only, an expected ``Host`` against DNS
rebinding); the PUT step adds what IMDSv2 adds on EC2: a GET-only request forger (an
SSRF through some local web app) cannot get a token, and a PUT relayed by a proxy
(it carries ``X-Forwarded-For``) is refused. IMDSv1 (GETs without a token) is
answered only when the user opts in. Errors are JSON ``{"code", "message"}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable

from awsafe.clock import Clock
from awsafe.errors import AwsafeError
from awsafe.model import Credentials, format_rfc3339
from awsafe.server.routes import Request, Response, credential_failure, refuse_foreign

TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
INSTANCE_ID_PATH = "/latest/meta-data/instance-id"
REGION_PATH = "/latest/meta-data/placement/region"
ZONE_PATH = "/latest/meta-data/placement/availability-zone"
IDENTITY_PATH = "/latest/dynamic/instance-identity/document"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
MAX_TTL_SECONDS = 21600
MAX_TOKENS = 1024
INSTANCE_ID = "i-awsafe0000000000"  # stable and visibly fake
# Long-lived keys have no expiry, but IMDS clients require one: they come back by then.
UNDATED_REFRESH = dt.timedelta(hours=1)
_TTL_TEXT = re.compile(r"[0-9]{1,5}")


class SessionTokens:
    """The IMDSv2 tokens issued so far, each with its expiry; at most ``limit``, expired ones pruned.

    Kept by keyed digest, never by the token itself: the dict lookup compares digests, whose
    timing tells nothing about any token (the key is random per process), so a lookup is as
    safe as ``hmac.compare_digest`` against each token and does not grow with their number.
    """

    def __init__(self, clock: Clock, limit: int = MAX_TOKENS) -> None:
        self._clock = clock
        self._limit = limit
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._expiry: dict[bytes, dt.datetime] = {}  # insertion order = issue order

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode(), hashlib.sha256).digest()

    def issue(self, ttl: dt.timedelta) -> str:
        token = secrets.token_urlsafe(32)  # 256 bits
        now = self._clock()
        with self._lock:
            if len(self._expiry) >= self._limit:
                self._expiry = {d: at for d, at in self._expiry.items() if at > now}
            while len(self._expiry) >= self._limit:  # all still valid: the oldest goes
                del self._expiry[next(iter(self._expiry))]
            self._expiry[self._digest(token)] = now + ttl
        return token

    def is_valid(self, token: str) -> bool:
        digest = self._digest(token)
        with self._lock:
            expires_at = self._expiry.get(digest)
            if expires_at is None:
                return False
            if expires_at <= self._clock():
                del self._expiry[digest]
                return False
            return True

    def __len__(self) -> int:
        return len(self._expiry)


def parse_token_ttl(text: str | None) -> dt.timedelta | None:
    """The TTL header as a duration of 1..21600 seconds; None when absent or invalid."""
    if text is None or not _TTL_TEXT.fullmatch(text):
        return None
    seconds = int(text)
    return dt.timedelta(seconds=seconds) if 1 <= seconds <= MAX_TTL_SECONDS else None


def render_imds_credentials(credentials: Credentials, updated_at: dt.datetime, now: dt.datetime) -> bytes:
    expires_at = credentials.expires_at or now + UNDATED_REFRESH
    document = {
        "Code": "Success",
        "LastUpdated": format_rfc3339(updated_at),
        "Type": "AWS-HMAC",
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token or "",
        "Expiration": format_rfc3339(expires_at),
    }
    return json.dumps(document).encode()


class ImdsRoutes:
    """Answer instance-metadata requests for one profile, presented as one instance role."""

    def __init__(
        self,
        credentials: Callable[[], Credentials],
        allowed_hosts: frozenset[str],
        *,
        region: str | None,
        role_name: str,
        clock: Clock,
        account_id: str | None = None,
        allow_v1: bool = False,
        loopback_only: bool = True,
        local_peers: frozenset[str] = frozenset(),
        tokens: SessionTokens | None = None,
    ) -> None:
        self._credentials = credentials
        self._allowed_hosts = allowed_hosts
        self._region = region
        self._role_name = role_name
        self._clock = clock
        self._account_id = account_id
        self._allow_v1 = allow_v1
        self._loopback_only = loopback_only
        self._local_peers = local_peers
        self._tokens = tokens or SessionTokens(clock)
        self._seen: tuple[Credentials, dt.datetime] | None = None

    def handle(self, request: Request) -> Response:
        refused = refuse_foreign(
            request, self._allowed_hosts, loopback_only=self._loopback_only, local_peers=self._local_peers
        )
        if refused is not None:
            return refused
        path = request.path.split("?", 1)[0]
        if path == TOKEN_PATH:
            return self._issue_token(request)
        if request.method != "GET":
            return Response.error(405, "MethodNotAllowed", "only GET is supported here")
        refused = self._check_token(request)
        if refused is not None:
            return refused
        return self._answer(path)

    def _issue_token(self, request: Request) -> Response:
        if request.method != "PUT":
            return Response.error(405, "MethodNotAllowed", "a token is obtained with PUT")
        if "x-forwarded-for" in request.headers:  # as on EC2: a proxy relayed this PUT
            return Response.error(403, "Forbidden", "token requests through a proxy are refused")
        ttl = parse_token_ttl(request.headers.get(TTL_HEADER))
        if ttl is None:
            return Response.error(
                400, "BadRequest", f"{TTL_HEADER} must be a whole number of seconds, 1 to {MAX_TTL_SECONDS}"
            )
        ttl_header = (("X-aws-ec2-metadata-token-ttl-seconds", str(int(ttl.total_seconds()))),)
        return Response.text(self._tokens.issue(ttl), headers=ttl_header)

    def _check_token(self, request: Request) -> Response | None:
        token = request.headers.get(TOKEN_HEADER)
        if token is None:
            if self._allow_v1:
                return None
            return Response.error(
                401, "Unauthorized", f"missing {TOKEN_HEADER} header: IMDSv1 is disabled, PUT {TOKEN_PATH}"
            )
        if not self._tokens.is_valid(token):
            return Response.error(401, "Unauthorized", "invalid or expired metadata token")
        return None

    def _answer(self, path: str) -> Response:
        if path in (CREDENTIALS_PATH, CREDENTIALS_PATH.rstrip("/")):
            return Response.text(self._role_name)
        if path.startswith(CREDENTIALS_PATH):
            if path[len(CREDENTIALS_PATH) :].rstrip("/") != self._role_name:
                return Response.error(404, "NotFound", "no such role on this instance")
            return self._role_credentials()
        if path == INSTANCE_ID_PATH:
            return Response.text(INSTANCE_ID)
        if path == IDENTITY_PATH:
            return Response.document(self._identity_document())
        if self._region and path == REGION_PATH:
            return Response.text(self._region)
        if self._region and path == ZONE_PATH:
            return Response.text(f"{self._region}a")
        return Response.error(404, "NotFound", "no such metadata")

    def _role_credentials(self) -> Response:
        try:
            credentials = self._credentials()
        except AwsafeError as e:
            return credential_failure(e)
        seen = self._seen
        if seen is None or seen[0] is not credentials:  # fetched anew since the last answer
            seen = self._seen = (credentials, self._clock())
        return Response(200, render_imds_credentials(credentials, seen[1], self._clock()))

    def _identity_document(self) -> dict[str, object]:
        document: dict[str, object] = {"instanceId": INSTANCE_ID, "version": "2017-09-30"}
        if self._account_id:
            document["accountId"] = self._account_id
        if self._region:
            document["region"] = self._region
            document["availabilityZone"] = f"{self._region}a"
        return document
