"""STS calls: GetSessionToken and AssumeRole, our Credentials in and out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from awsafe.aws import client as clients
from awsafe.aws.client import Endpoint, credentials_from, translate
from awsafe.model import Credentials

__all__ = [
    "AssumeRoleRequest",
    "Endpoint",
    "fetch_assume_role",
    "fetch_caller_identity",
    "fetch_federation_token",
    "fetch_session_token",
]


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
    try:
        response = clients.make_client("sts", credentials, endpoint).get_session_token(**params)
    except Exception as e:  # noqa: BLE001 - every botocore failure becomes an AwsError
        raise translate(e, what, "check the keys stored for this profile (awsafe add)") from e
    return credentials_from(response)


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
    try:
        response = clients.make_client("sts", credentials, endpoint).assume_role(**params)
    except Exception as e:  # noqa: BLE001 - every botocore failure becomes an AwsError
        raise translate(e, what, hint) from e
    return credentials_from(response)


ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


def fetch_federation_token(
    credentials: Credentials, endpoint: Endpoint, *, name: str, duration: dt.timedelta, profile: str
) -> Credentials:
    """sts:GetFederationToken with an IAM user's long-term keys (AWS refuses session credentials).

    The allow-all policy is intersected with the user's own permissions: the federated
    session can do what the user can, and no more.
    """
    what = f"GetFederationToken for profile {profile!r}"
    try:
        response = clients.make_client("sts", credentials, endpoint).get_federation_token(
            Name=name, DurationSeconds=int(duration.total_seconds()), Policy=ALLOW_ALL
        )
    except Exception as e:  # noqa: BLE001 - every botocore failure becomes an AwsError
        raise translate(e, what, "check the keys stored for this profile (awsafe add)") from e
    return credentials_from(response)


def fetch_caller_identity(
    credentials: Credentials, endpoint: Endpoint, *, what: str, attempts: int = 4
) -> str:
    """The ARN these credentials act as (sts:GetCallerIdentity needs no permission)."""
    try:
        response = clients.make_client("sts", credentials, endpoint, attempts=attempts).get_caller_identity()
    except Exception as e:  # noqa: BLE001
        raise translate(e, what) from e
    return str(response["Arn"])
