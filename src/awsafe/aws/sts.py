"""STS calls: GetSessionToken and AssumeRole, our Credentials in and out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from awsafe.aws import client as clients
from awsafe.aws.client import Endpoint, calling
from awsafe.errors import AwsError
from awsafe.model import Credentials, parse_rfc3339

__all__ = [
    "AssumeRoleRequest",
    "WebIdentityRequest",
    "Endpoint",
    "fetch_assume_role",
    "fetch_assume_role_with_web_identity",
    "fetch_caller_identity",
    "fetch_federation_token",
    "fetch_session_token",
    "parse_sts_credentials",
]

# Far beyond any STS session (36 h): an answer promising more is not one we trust.
_LONGEST_SESSION = dt.timedelta(days=2)


def _parse_expiration(value: object) -> dt.datetime | None:
    """botocore gives a datetime (sometimes in local time), a stub may give text; None if unusable."""
    try:
        moment = parse_rfc3339(value) if isinstance(value, str) else value
        if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
            return None
        return moment.astimezone(dt.timezone.utc).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None  # year 1 in local time falls off the calendar when moved to UTC


def _answered_at(response: dict[str, Any]) -> dt.datetime | None:
    """The endpoint's own Date header: the clock expiry is judged against (ours may be wrong)."""
    from email.utils import parsedate_to_datetime

    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    date = headers.get("date") if isinstance(headers, dict) else None
    try:
        moment = parsedate_to_datetime(date) if isinstance(date, str) else None
    except (TypeError, ValueError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def parse_sts_credentials(response: dict[str, Any], what: str) -> Credentials:
    """The ``Credentials`` of an STS answer, checked; AwsError (never a KeyError) when malformed.

    Every field must be a non-empty string and the expiry a real moment after the
    endpoint's own clock (its Date header) and at most two days past it.
    """
    raw = response.get("Credentials")
    if not isinstance(raw, dict):
        raise AwsError(f"{what} failed: the answer holds no credentials", code="MalformedResponse")
    fields = [raw.get(name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    missing = [
        name
        for name, value in zip(("AccessKeyId", "SecretAccessKey", "SessionToken"), fields, strict=True)
        if not isinstance(value, str) or not value
    ]
    if missing:
        raise AwsError(f"{what} failed: the answer has no {', '.join(missing)}", code="MalformedResponse")
    expires_at = _parse_expiration(raw.get("Expiration"))
    if expires_at is None:
        raise AwsError(f"{what} failed: the answer has no valid Expiration", code="MalformedResponse")
    answered_at = _answered_at(response)
    if answered_at is not None and not answered_at < expires_at <= answered_at + _LONGEST_SESSION:
        raise AwsError(
            f"{what} failed: the answer's credentials expire at {expires_at:%Y-%m-%dT%H:%M:%SZ}, "
            f"which is not within two days after it was sent ({answered_at:%Y-%m-%dT%H:%M:%SZ})",
            code="MalformedResponse",
        )
    access_key_id, secret_access_key, session_token = (str(value) for value in fields)
    return Credentials(access_key_id, secret_access_key, session_token, expires_at)


@dataclasses.dataclass(frozen=True)
class AssumeRoleRequest:
    role_arn: str
    session_name: str
    duration: dt.timedelta
    external_id: str | None = dataclasses.field(default=None, repr=False)
    source_identity: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    mfa_serial: str | None = None
    token_code: str | None = dataclasses.field(default=None, repr=False)


def fetch_session_token(
    credentials: Credentials,
    endpoint: Endpoint,
    duration: dt.timedelta,
    *,
    profile: str,
    mfa_serial: str | None = None,
    token_code: str | None = None,
) -> Credentials:
    """sts:GetSessionToken with the long-term keys of ``profile``."""
    params: dict[str, Any] = {"DurationSeconds": int(duration.total_seconds())}
    if mfa_serial:
        params.update(SerialNumber=mfa_serial, TokenCode=token_code)
    what = f"GetSessionToken for profile {profile!r}"
    with calling(what, "check the keys stored for this profile (awsafe add)"):
        response = clients.make_client("sts", credentials, endpoint).get_session_token(**params)
    return parse_sts_credentials(response, what)


def fetch_assume_role(
    credentials: Credentials, endpoint: Endpoint, request: AssumeRoleRequest, *, profile: str
) -> Credentials:
    """sts:AssumeRole for ``profile`` with the credentials of its source."""
    params: dict[str, Any] = {
        "RoleArn": request.role_arn,
        "RoleSessionName": request.session_name,
        "DurationSeconds": int(request.duration.total_seconds()),
    }
    if request.external_id:
        params["ExternalId"] = request.external_id
    if request.source_identity:
        params["SourceIdentity"] = request.source_identity
    if request.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in request.tags]
    if request.transitive_tag_keys:
        params["TransitiveTagKeys"] = list(request.transitive_tag_keys)
    if request.mfa_serial:
        params.update(SerialNumber=request.mfa_serial, TokenCode=request.token_code)
    what = f"AssumeRole of {request.role_arn} for profile {profile!r}"
    hint = "check the role's trust policy allows the source identity" + (
        " and that external_id matches its sts:ExternalId condition" if request.external_id else ""
    )
    with calling(what, hint):
        response = clients.make_client("sts", credentials, endpoint).assume_role(**params)
    return parse_sts_credentials(response, what)


@dataclasses.dataclass(frozen=True)
class WebIdentityRequest:
    role_arn: str
    session_name: str
    duration: dt.timedelta
    token: str = dataclasses.field(repr=False)  # an OIDC token: a bearer secret


def fetch_assume_role_with_web_identity(
    endpoint: Endpoint, request: WebIdentityRequest, *, profile: str
) -> Credentials:
    """sts:AssumeRoleWithWebIdentity for ``profile``: unsigned, the token is the proof."""
    what = f"AssumeRoleWithWebIdentity of {request.role_arn} for profile {profile!r}"
    hint = "check the role's trust policy allows this identity provider and the token's audience"
    with calling(what, hint):
        response = clients.make_client("sts", None, endpoint).assume_role_with_web_identity(
            RoleArn=request.role_arn,
            RoleSessionName=request.session_name,
            WebIdentityToken=request.token,
            DurationSeconds=int(request.duration.total_seconds()),
        )
    return parse_sts_credentials(response, what)


ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def fetch_federation_token(
    credentials: Credentials, endpoint: Endpoint, *, name: str, duration: dt.timedelta, profile: str
) -> Credentials:
    """sts:GetFederationToken with an IAM user's long-term keys (AWS refuses session credentials).

    The allow-all policy is intersected with the user's own permissions: the federated
    session can do what the user can, and no more.
    """
    what = f"GetFederationToken for profile {profile!r}"
    with calling(what, "check the keys stored for this profile (awsafe add)"):
        response = clients.make_client("sts", credentials, endpoint).get_federation_token(
            Name=name, DurationSeconds=int(duration.total_seconds()), Policy=ALLOW_ALL
        )
    return parse_sts_credentials(response, what)


def fetch_caller_identity(
    credentials: Credentials, endpoint: Endpoint, *, what: str, attempts: int = 4
) -> str:
    """The ARN these credentials act as (sts:GetCallerIdentity needs no permission)."""
    with calling(what):
        response = clients.make_client("sts", credentials, endpoint, attempts=attempts).get_caller_identity()
    return str(response["Arn"])
