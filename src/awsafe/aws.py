"""The only importer of botocore: STS calls in, our Credentials out, ClientError -> AwsError.

botocore costs ~150 ms to import, so it is imported inside the functions that
make a network call and never on a cache hit. The botocore session is built so
that it reads neither the user's config files nor ``AWS_PROFILE``: awsafe has
already resolved the profile and passes region, endpoint and credentials in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import TYPE_CHECKING, Any

from awsafe.errors import AwsError
from awsafe.model import Credentials

if TYPE_CHECKING:
    from botocore.client import BaseClient

DEFAULT_REGION = "us-east-1"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where to send a call: region, optional URL override, STS regional/legacy mode."""

    region: str = DEFAULT_REGION
    url: str | None = None
    sts_regional_endpoints: str | None = None


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


def _client(service: str, credentials: Credentials, endpoint: Endpoint) -> BaseClient:
    import botocore.config
    import botocore.session

    no_file = (None, None, os.devnull, None)
    session = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": no_file,
            "credentials_file": no_file,
        }
    )
    if endpoint.sts_regional_endpoints:
        session.set_config_variable("sts_regional_endpoints", endpoint.sts_regional_endpoints)
    config = botocore.config.Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
        user_agent_appid="awsafe",
    )
    return session.create_client(
        service,
        region_name=endpoint.region,
        endpoint_url=endpoint.url,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        config=config,
    )


def _credentials_from(response: dict[str, Any]) -> Credentials:
    raw = response["Credentials"]
    expiration = raw["Expiration"]
    if isinstance(expiration, str):
        from awsafe.model import parse_rfc3339

        expiration = parse_rfc3339(expiration)
    return Credentials(
        access_key_id=raw["AccessKeyId"],
        secret_access_key=raw["SecretAccessKey"],
        session_token=raw["SessionToken"],
        expires_at=expiration.astimezone(dt.timezone.utc).replace(microsecond=0),
    )


def _translate(error: Exception, what: str, hint: str | None = None) -> AwsError:
    """Turn any botocore exception into an AwsError naming the call; never a secret."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        message = str(info.get("Message", "")).strip()
        text = f"{what} failed: {code}" + (f": {message}" if message else "")
        return AwsError(text, code=code, hint=hint if code in _ACCESS_CODES else None)
    if isinstance(error, BotoCoreError):
        return AwsError(f"{what} failed: {error}", code=type(error).__name__)
    return AwsError(f"{what} failed: {type(error).__name__}", code=type(error).__name__)


_ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId"})


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
        response = _client("sts", credentials, endpoint).get_session_token(**params)
    except Exception as e:  # noqa: BLE001 - every botocore failure becomes an AwsError
        raise _translate(e, what, "check the keys stored for this profile (awsafe add)") from e
    return _credentials_from(response)


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
        response = _client("sts", credentials, endpoint).assume_role(**params)
    except Exception as e:  # noqa: BLE001 - every botocore failure becomes an AwsError
        raise _translate(e, what, hint) from e
    return _credentials_from(response)
