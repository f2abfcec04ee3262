"""The chain builder's sources outside the vault added for aws-vault parity: web identity and a
role's ``credential_source``; which profile uses them, their cache identities (pure) and
their providers (built without I/O; they fetch on ``retrieve``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from awsafe.aws.sts import Endpoint
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.outer import (
    ContainerProvider,
    EnvironmentProvider,
    InstanceMetadataProvider,
    OuterSources,
    check_credential_source,
)
from awsafe.credentials.provider import Provider
from awsafe.credentials.webidentity import WebIdentityProvider, read_token_file, run_token_process
from awsafe.errors import ConfigError


def is_web_identity(profile: ProfileConfig) -> bool:
    """A profile whose own credentials are AssumeRoleWithWebIdentity: a token and no source_profile
    (as aws-vault, a source_profile comes first; its role_arn is then assumed as usual)."""
    return profile.has_web_identity and profile.source_profile is None


def web_identity_identity(profile: ProfileConfig, duration: dt.timedelta) -> dict[str, Any]:
    """What shapes a web identity session (the token's source, never the token)."""
    return {
        "kind": "web-identity",
        "role_arn": profile.role_arn,
        "session_name": profile.role_session_name,
        "token_file": profile.web_identity_token_file,
        "token_process": None if profile.web_identity_token_file else profile.web_identity_token_process,
        "duration": int(duration.total_seconds()),
    }


def outer_identity(profile: ProfileConfig, outer: OuterSources) -> dict[str, Any]:
    """What shapes the source of a role with ``credential_source``: the kind, and for
    Environment which outer key (a digest: other keys, another session)."""
    if not profile.credential_source:
        return {}
    identity: dict[str, Any] = {"credential_source": profile.credential_source}
    if profile.credential_source == "Environment" and outer.outer_keys is not None:
        key = outer.outer_keys.access_key_id.encode()
        identity["outer_key"] = hashlib.sha256(key).hexdigest()[:16]
    return identity


def own_environment_needed(chain: Sequence[ProfileConfig]) -> str | None:
    """Why ``chain`` can be served only with the asking process's whole environment, or None.

    ``credential_source`` reads secrets (the outer keys, a container token) that never leave
    the process; a token process runs with its PATH and variables. An agent declines these.
    """
    if any(profile.credential_source for profile in chain):
        return "credential_source reads the client's own environment"
    if any(
        is_web_identity(p) and not p.web_identity_token_file and p.web_identity_token_process for p in chain
    ):
        return "web_identity_token_process runs in the client's own environment"
    return None


def web_identity(
    profile: ProfileConfig,
    endpoint: Endpoint,
    duration: dt.timedelta,
    environ: Mapping[str, str],
    *,
    session_name: str,
) -> Provider:
    """AssumeRoleWithWebIdentity of the profile's role_arn with its token file (before its
    token process, as aws-vault reads them)."""
    if not profile.role_arn:
        raise ConfigError(
            f"{profile.where}: profile {profile.name!r} has a web identity token and no role_arn "
            "(the role the token is exchanged for)"
        )
    path, command = profile.web_identity_token_file, profile.web_identity_token_process
    if path:
        return WebIdentityProvider(
            lambda: read_token_file(path, profile.name),
            endpoint,
            profile.role_arn,
            session_name,
            duration,
            profile=profile.name,
            source=f"file {path}",
        )
    assert command is not None
    return WebIdentityProvider(
        lambda: run_token_process(command, environ, profile.name),
        endpoint,
        profile.role_arn,
        session_name,
        duration,
        profile=profile.name,
        source="web_identity_token_process",
    )


def credential_source(profile: ProfileConfig, outer: OuterSources) -> Provider:
    """The provider a role's ``credential_source`` names; a ConfigError without a role_arn (the
    AWS CLI's rule: it is the source of a role, not credentials of its own)."""
    assert profile.credential_source is not None
    kind = check_credential_source(profile.credential_source, profile.name, profile.where)
    if not profile.role_arn:
        raise ConfigError(
            f"{profile.where}: profile {profile.name!r} has credential_source and no role_arn "
            "(credential_source is the source of the role it assumes)"
        )
    if kind == "Environment":
        return EnvironmentProvider(outer.outer_keys, profile=profile.name)
    if kind == "Ec2InstanceMetadata":
        return InstanceMetadataProvider(outer.environ, profile=profile.name)
    return ContainerProvider(outer.environ, profile=profile.name)
