"""A SigV4 check in front of moto: every request must be signed with the secret moto issued for its key.

moto (auth off) accepts any signature, so a test against it cannot tell the right
secret from a wrong one. This layer knows every secret moto handed out, learned
from the answers passing through it (IAM CreateAccessKey, STS AssumeRole,
GetSessionToken, GetFederationToken, AssumeRoleWithWebIdentity...), plus the
admin key. For each request it recomputes the signature with botocore's own
signer (``SigV4Auth`` over an ``AWSRequest`` rebuilt from what came over the
wire: method, path, query, the signed headers, body, X-Amz-Date, region and
service of the credential scope) and answers as AWS would: an unknown key id or a
session token that was not issued with it is ``InvalidClientTokenId``, a wrong
secret ``SignatureDoesNotMatch``, an expired session ``ExpiredToken``. It never
hand-writes SigV4, and its messages never contain a secret or a token.

It also keeps the one trust condition moto cannot test (moto's auth mode refuses
GetSessionToken credentials): a role declared MFA-only is assumed only with a
TokenCode or with credentials that came from an MFA sign-in, like a trust policy
with ``aws:MultiFactorAuthPresent``. moto's GetSessionToken pair is the same with
and without MFA, so a key seen both ways counts as MFA (never a false refusal).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

# STS takes these unsigned (the web identity or SAML assertion is the credential).
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
# What AWS puts in place of a payload hash when the body is not hashed (S3).
UNHASHED_PAYLOADS = ("UNSIGNED-PAYLOAD", "STREAMING-")
INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclasses.dataclass(frozen=True)
class Issued:
    """One credential moto issued (or a test declared): the secret behind a key id."""

    access_key_id: str
    secret_access_key: str = dataclasses.field(repr=False)
    session_token: str | None = dataclasses.field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    source: str = "registered"  # the action that issued it
    mfa: bool = False  # issued to a request that carried an MFA code, or to a session that had one


@dataclasses.dataclass(frozen=True)
class Rejection:
    """An AWS-shaped refusal; ``detail`` says why for the test's failure message (no secret)."""

    code: str
    message: str
    status: int = 403
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class WireRequest:
    """A request as it came over the wire: lower-case header names, the body as received."""

    method: str
    raw_uri: str  # path and query exactly as sent
    headers: Mapping[str, str]
    body: bytes
    action: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any], body: bytes, action: str = "") -> WireRequest:
        """Rebuild from a WSGI environ (read before anything rewrites CONTENT_LENGTH)."""
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").lower()] = str(value)
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = str(environ[key])
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not raw_uri:
            query = environ.get("QUERY_STRING", "")
            raw_uri = str(environ.get("PATH_INFO", "/")) + (f"?{query}" if query else "")
        return cls(str(environ.get("REQUEST_METHOD", "GET")), str(raw_uri), headers, body, action)


@dataclasses.dataclass(frozen=True)
class _Authorization:
    key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> _Authorization | Rejection:
    """The parts of an ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` header."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return Rejection("IncompleteSignature", f"Unsupported signing algorithm {algorithm!r}.", 400)
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not fields.get("SignedHeaders"):
        return Rejection("IncompleteSignature", "Authorization header is not a complete SigV4 header.", 400)
    if not fields.get("Signature"):
        return Rejection("IncompleteSignature", "Authorization header has no Signature.", 400)
    return _Authorization(
        key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
        signature=fields["Signature"],
    )


def _query_pairs(query: str) -> list[tuple[str, str]]:
    # AWS decodes each name and value ('+' stays a plus) and re-encodes them canonically.
    pairs = []
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def compute_signature(request: WireRequest, auth: _Authorization, secret: str, token: str | None) -> str:
    """The signature botocore's SigV4 signer gives ``request`` with ``secret``, at the request's time."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    path, _, query = request.raw_uri.partition("?")
    host = request.headers.get("host", "")
    rebuilt = AWSRequest(
        method=request.method,
        url=f"http://{host}{path}",
        headers={name: request.headers[name] for name in auth.signed_headers},
        data=request.body,
        params=_query_pairs(query),
    )
    rebuilt.context["timestamp"] = request.headers["x-amz-date"]
    signer_class = S3SigV4Auth if auth.service == "s3" else SigV4Auth
    signer = signer_class(Credentials(auth.key_id, secret, token), auth.service, auth.region)
    if tuple(sorted(signer.headers_to_sign(rebuilt))) != tuple(sorted(auth.signed_headers)):
        return ""  # signed a header botocore never signs (user-agent, expect...): cannot match
    canonical = signer.canonical_request(rebuilt)
    return str(signer.signature(signer.string_to_sign(rebuilt, canonical), rebuilt))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_issued(action: str, body: bytes) -> list[Issued]:
    """Every (AccessKeyId, SecretAccessKey[, SessionToken, Expiration]) group in an XML answer."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    found = []
    for element in root.iter():
        children = {_local(child.tag): (child.text or "").strip() for child in element}
        if children.get("AccessKeyId") and children.get("SecretAccessKey"):
            expires_at = None
            if children.get("Expiration"):
                from botocore.utils import parse_timestamp

                expires_at = parse_timestamp(children["Expiration"])
            found.append(
                Issued(
                    children["AccessKeyId"],
                    children["SecretAccessKey"],
                    children.get("SessionToken") or None,
                    expires_at,
                    action,
                )
            )
    return found


class SigV4Verifier:
    """The secrets moto issued, and the check of each request against them. Thread-safe."""

    def __init__(self, *permanent: Issued) -> None:
        self._lock = threading.Lock()
        self._permanent = permanent
        self._issued: dict[str, list[Issued]] = {}
        self.clock: Callable[[], dt.datetime] = _utcnow  # a test may move it to expire sessions
        self._mfa_roles: set[str] = set()
        self.reset()

    def reset(self) -> None:
        """Forget everything moto issued (after moto's own reset); keep the permanent keys."""
        with self._lock:
            self._issued = {}
            self._mfa_roles = set()
        self.clock = _utcnow
        for issued in self._permanent:
            self.register(issued)

    def register(self, issued: Issued) -> None:
        with self._lock:
            known = self._issued.setdefault(issued.access_key_id, [])
            if issued not in known:
                known.append(issued)

    def forget(self, access_key_id: str) -> None:
        """A deleted long-term key: refused from now on (its sessions stay valid, as at AWS)."""
        with self._lock:
            known = self._issued.get(access_key_id, [])
            known[:] = [i for i in known if i.session_token is not None]

    def issued(self, access_key_id: str) -> list[Issued]:
        with self._lock:
            return list(self._issued.get(access_key_id, []))

    def require_mfa(self, role_arn: str) -> None:
        """From now on AssumeRole of ``role_arn`` needs MFA (a TokenCode, or an MFA session)."""
        with self._lock:
            self._mfa_roles.add(role_arn)

    def authorize(self, action: str, params: Mapping[str, str], signer: Issued | None) -> Rejection | None:
        """The MFA condition of the roles declared MFA-only (after the signature checked out)."""
        with self._lock:
            mfa_only = action == "AssumeRole" and params.get("RoleArn") in self._mfa_roles
        if not mfa_only or params.get("TokenCode") or (signer is not None and signer.mfa):
            return None
        return Rejection(
            "AccessDenied",
            f"User is not authorized to perform: sts:AssumeRole on resource: {params.get('RoleArn')}",
            403,
            "the role needs MFA: no TokenCode, and the signing credentials did not come from an MFA sign-in",
        )

    def learn(
        self, action: str, params: Mapping[str, str], status: int, body: bytes, signer: Issued | None = None
    ) -> None:
        """Take note of what a successful answer issued or revoked."""
        if status != 200:
            return
        if action == "DeleteAccessKey" and params.get("AccessKeyId"):
            self.forget(params["AccessKeyId"])
            return
        mfa = bool(params.get("TokenCode")) or (signer is not None and signer.mfa and action == "AssumeRole")
        for issued in parse_issued(action, body):
            self.register(dataclasses.replace(issued, mfa=mfa))

    def check(self, request: WireRequest) -> Rejection | None:
        """None when ``request`` is signed with a secret issued for its key id, else the refusal."""
        verdict = self.verify(request)
        return verdict if isinstance(verdict, Rejection) else None

    def verify(self, request: WireRequest) -> Issued | Rejection | None:
        """The credential that signed ``request``, or the refusal; None for an allowed unsigned one."""
        header = request.headers.get("authorization")
        if not header:
            if "X-Amz-Signature=" in request.raw_uri:
                return Rejection("IncompleteSignature", "Presigned URLs are not checked here.", 400)
            if request.action in UNSIGNED_ACTIONS:
                return None
            return Rejection("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        auth = parse_authorization(header)
        if isinstance(auth, Rejection):
            return auth
        stamp = request.headers.get("x-amz-date", "")
        if len(stamp) != 16 or "x-amz-date" not in auth.signed_headers or "host" not in auth.signed_headers:
            return Rejection(
                "IncompleteSignature", "X-Amz-Date and Host must be present and signed.", 400, header
            )
        missing = [name for name in auth.signed_headers if name not in request.headers]
        if missing:
            return Rejection(
                "SignatureDoesNotMatch", BAD_SIGNATURE, 403, f"signed headers not sent: {missing}"
            )
        if auth.date != stamp[:8]:
            return Rejection(
                "SignatureDoesNotMatch",
                BAD_SIGNATURE,
                403,
                f"scope date {auth.date} is not X-Amz-Date {stamp}",
            )
        token = request.headers.get("x-amz-security-token")
        known = self.issued(auth.key_id)
        if not known:
            return Rejection(
                "InvalidClientTokenId", INVALID_TOKEN, 403, f"key id {auth.key_id} was never issued"
            )
        candidates = [i for i in known if _same_token(i.session_token, token)]
        if not candidates:
            what = "no session token" if token is None else "a session token not issued with it"
            return Rejection(
                "InvalidClientTokenId", INVALID_TOKEN, 403, f"key id {auth.key_id} sent with {what}"
            )
        mismatch = _payload_mismatch(request)
        if mismatch is not None:
            return mismatch
        for issued in sorted(candidates, key=lambda i: not i.mfa):  # see the module docstring
            expected = compute_signature(request, auth, issued.secret_access_key, token)
            if expected and hmac.compare_digest(expected, auth.signature):
                if issued.expires_at is not None and issued.expires_at <= self.clock():
                    return Rejection(
                        "ExpiredToken",
                        "The security token included in the request is expired",
                        403,
                        f"{auth.key_id} from {issued.source} expired at {issued.expires_at.isoformat()}",
                    )
                return issued
        sources = ", ".join(sorted({i.source for i in candidates}))
        return Rejection(
            "SignatureDoesNotMatch",
            BAD_SIGNATURE,
            403,
            f"{request.action or request.method} signed for {auth.key_id} ({sources}) with another secret, "
            f"or over other bytes (SignedHeaders={';'.join(auth.signed_headers)})",
        )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _same_token(issued: str | None, sent: str | None) -> bool:
    if issued is None or sent is None:
        return issued is None and sent is None
    return hmac.compare_digest(issued.encode(), sent.encode())


def _payload_mismatch(request: WireRequest) -> Rejection | None:
    """A declared X-Amz-Content-SHA256 must be the hash of the body that arrived."""
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None or declared.startswith(UNHASHED_PAYLOADS):
        return None
    if hmac.compare_digest(declared, hashlib.sha256(request.body).hexdigest()):
        return None
    return Rejection(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
        "the body differs from the hash the client signed",
    )
