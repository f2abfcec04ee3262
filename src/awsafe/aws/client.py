"""The only place botocore clients are made: region, endpoint, retries; botocore errors -> AwsError.

botocore costs ~150 ms to import, so it is imported inside the functions that
make a network call and never on a cache hit. The botocore session is built so
that it reads neither the user's config files nor ``AWS_PROFILE``: awsafe has
already resolved the profile and passes region, endpoint and credentials in.
Calls that need no signature (IAM Identity Center) pass no credentials.
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


def make_client(
    service: str, credentials: Credentials | None, endpoint: Endpoint, *, attempts: int = 4
) -> BaseClient:
    """A client for ``service``; with ``credentials=None`` requests go unsigned (IAM Identity Center)."""
    import botocore
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
        retries={"total_max_attempts": attempts, "mode": "standard"},  # the first try included
        connect_timeout=10,
        read_timeout=30,
        user_agent_appid="awsafe",
    )
    if credentials is None:
        return session.create_client(
            service,
            region_name=endpoint.region,
            endpoint_url=endpoint.url,
            config=config.merge(botocore.config.Config(signature_version=botocore.UNSIGNED)),
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


def credentials_from(response: dict[str, Any]) -> Credentials:
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


def translate(error: Exception, what: str, hint: str | None = None) -> AwsError:
    """Turn any botocore exception into an AwsError naming the call; never a secret."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        message = str(info.get("Message", "")).strip()
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{what} failed: {code}" + (f": {message}" if message else "")
        return AwsError(
            text,
            code=code,
            status=status if isinstance(status, int) else None,
            hint=hint if code in _ACCESS_CODES else None,
        )
    if isinstance(error, BotoCoreError):
        return AwsError(f"{what} failed: {error}", code=type(error).__name__)
    return AwsError(f"{what} failed: {type(error).__name__}", code=type(error).__name__)


_ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId"})
