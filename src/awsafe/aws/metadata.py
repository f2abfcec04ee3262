"""Credentials from the metadata endpoints of the machine awsafe runs on (EC2's IMDSv2, an ECS
or EKS container's endpoint), read with botocore's own fetchers; our Credentials out.

Used for a role's ``credential_source = Ec2InstanceMetadata | EcsContainer``, with the AWS
CLI's variables, which the caller passes in (nothing here reads ``os.environ``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsafe.aws.client import calling
from awsafe.errors import NoCredentialsError
from awsafe.model import Credentials, parse_rfc3339

__all__ = ["fetch_container_credentials", "fetch_instance_credentials"]

# The container agent's link-local address, where a relative URI points (botocore's own).
_CONTAINER_HOST = "http://169.254.170.2"
_TIMEOUT = 2.0  # what the AWS CLI allows one metadata request (botocore's default is 1 s)
_ATTEMPTS = 2


def _credentials(
    access_key: object, secret_key: object, token: object, expiry: object, what: str
) -> Credentials:
    fields = (access_key, secret_key, token)
    if not all(isinstance(value, str) and value for value in fields):
        raise NoCredentialsError(f"{what} answered without credentials")
    try:
        expires_at = parse_rfc3339(expiry) if isinstance(expiry, str) else None
    except ValueError:
        expires_at = None
    if expires_at is None:
        raise NoCredentialsError(f"{what} answered without a valid Expiration")
    return Credentials(str(access_key), str(secret_key), str(token), expires_at.replace(microsecond=0))


def fetch_instance_credentials(environ: Mapping[str, str]) -> Credentials:
    """The instance role's credentials from IMDS (a session token first: IMDSv2), at
    ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` when set; ``AWS_EC2_METADATA_DISABLED=true`` refuses."""
    from botocore.utils import InstanceMetadataFetcher

    what = "the EC2 instance metadata service"
    if environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        raise NoCredentialsError(f"{what} is disabled (AWS_EC2_METADATA_DISABLED=true)")
    config: dict[str, Any] = {}
    endpoint = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
    if endpoint:
        config["ec2_metadata_service_endpoint"] = endpoint
    with calling(f"reading credentials from {what}"):
        fetcher = InstanceMetadataFetcher(
            timeout=_TIMEOUT, num_attempts=_ATTEMPTS, env=dict(environ), config=config
        )
        answer = fetcher.retrieve_iam_role_credentials()
    if not answer:
        raise NoCredentialsError(
            f"no credentials from {what} at {fetcher.get_base_url()}",
            hint="credential_source = Ec2InstanceMetadata needs an instance with a role "
            "(or AWS_EC2_METADATA_SERVICE_ENDPOINT)",
        )
    return _credentials(
        answer.get("access_key"),
        answer.get("secret_key"),
        answer.get("token"),
        answer.get("expiry_time"),
        what,
    )


def container_url(environ: Mapping[str, str]) -> str | None:
    """Where the container endpoint is: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on the ECS
    agent's address) before AWS_CONTAINER_CREDENTIALS_FULL_URI, as botocore reads them."""
    relative = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    if relative:
        return _CONTAINER_HOST + relative
    return environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or None


def fetch_container_credentials(url: str, authorization: str | None) -> Credentials:
    """The task's or pod's credentials from the container endpoint at ``url`` (botocore allows
    only the ECS agent's address, EKS's and loopback), with its Authorization header."""
    from botocore.utils import ContainerMetadataFetcher

    what = "the container credentials endpoint"
    headers = {"Authorization": authorization} if authorization else None
    try:
        with calling(f"reading credentials from {what}"):
            answer = ContainerMetadataFetcher().retrieve_full_uri(url, headers=headers)
    except ValueError as e:  # botocore's word for a host it will not send the token to
        raise NoCredentialsError(
            f"{what} {url!r} is not the ECS or EKS agent's address, a loopback address or https"
        ) from e
    if not isinstance(answer, dict):
        raise NoCredentialsError(f"{what} answered without credentials")
    return _credentials(
        answer.get("AccessKeyId"),
        answer.get("SecretAccessKey"),
        answer.get("Token"),
        answer.get("Expiration"),
        what,
    )
