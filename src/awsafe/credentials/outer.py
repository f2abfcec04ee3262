"""A role's ``credential_source`` (the AWS CLI's): the credentials the role is assumed with come
from outside awsafe: the keys in awsafe's own environment, EC2's instance metadata, or a
container's credentials endpoint.

What the environment says arrives as plain values (``OuterSources``, made by the wiring from
the process's environment); nothing here reads ``os.environ``. ``outer_keys`` is None where
the outer keys are not known, as in the agent, which never receives a client's secrets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from awsafe.errors import ConfigError, NoCredentialsError
from awsafe.model import Credentials

KINDS = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


@dataclasses.dataclass(frozen=True)
class OuterSources:
    """What awsafe's own environment offers a ``credential_source``."""

    environ: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    outer_keys: Credentials | None = dataclasses.field(default=None, repr=False)


def resolve_outer_keys(environ: Mapping[str, str]) -> Credentials | None:
    """AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) of ``environ``, when both
    keys are set (the AWS CLI's EnvProvider; the legacy AWS_SECURITY_TOKEN is not read)."""
    key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return None
    return Credentials(key, secret, environ.get("AWS_SESSION_TOKEN") or None)


def check_credential_source(value: str, profile: str, where: str) -> str:
    """The kind named, spelt as the AWS CLI spells it; a ConfigError for anything else."""
    if value not in KINDS:
        raise ConfigError(
            f"{where}: credential_source {value!r} of profile {profile!r} is not one of {', '.join(KINDS)}"
        )
    return value


class EnvironmentProvider:
    """``credential_source = Environment``: the keys awsafe itself was started with."""

    def __init__(self, keys: Credentials | None, *, profile: str) -> None:
        self._keys = keys
        self.profile = profile

    def retrieve(self) -> Credentials:
        if self._keys is None:
            raise NoCredentialsError(
                f"profile {self.profile!r} has credential_source = Environment, and "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
            )
        return self._keys

    def describe(self) -> str:
        return f"the keys in awsafe's environment (credential_source of {self.profile!r})"


class InstanceMetadataProvider:
    """``credential_source = Ec2InstanceMetadata``: the instance role, through IMDSv2."""

    def __init__(self, environ: Mapping[str, str], *, profile: str) -> None:
        self._environ = environ
        self.profile = profile

    def retrieve(self) -> Credentials:
        from awsafe.aws.metadata import fetch_instance_credentials

        return fetch_instance_credentials(self._environ)

    def describe(self) -> str:
        return f"EC2 instance metadata (credential_source of {self.profile!r})"


class ContainerProvider:
    """``credential_source = EcsContainer``: the ECS task's (or EKS pod's) credentials endpoint,
    with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's token (read at each fetch) or
    AWS_CONTAINER_AUTHORIZATION_TOKEN's."""

    def __init__(self, environ: Mapping[str, str], *, profile: str) -> None:
        self._environ = environ
        self.profile = profile

    def retrieve(self) -> Credentials:
        from awsafe.aws.metadata import container_url, fetch_container_credentials

        url = container_url(self._environ)
        if url is None:
            raise NoCredentialsError(
                f"profile {self.profile!r} has credential_source = EcsContainer, and neither "
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set"
            )
        return fetch_container_credentials(url, self._authorization())

    def _authorization(self) -> str | None:
        path = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        if path:
            try:
                with open(path, encoding="utf-8", errors="replace") as file:
                    token = file.read(64 * 1024).strip()
            except OSError as e:
                raise NoCredentialsError(
                    f"cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path!r}: {e.strerror}"
                ) from e
        else:
            token = (self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN") or "").strip()
        if any(c in token for c in "\r\n"):  # botocore's check: a header cannot hold a line break
            raise NoCredentialsError("the container authorization token holds a line break")
        return token or None

    def describe(self) -> str:
        return f"the container credentials endpoint (credential_source of {self.profile!r})"
