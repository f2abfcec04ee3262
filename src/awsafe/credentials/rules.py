"""What the configuration alone decides about sessions: durations, endpoints, chaining, MFA; pure.

These rules shape cache identities, so they read nothing but the resolved
profiles and options: a cache hit must not touch the vault or the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from awsafe.aws.sts import Endpoint
from awsafe.clock import Clock
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.provider import Provider

ONE_HOUR = dt.timedelta(hours=1)
MAX_CHAINED_ROLE = ONE_HOUR  # AWS refuses more for a role assumed with role credentials
ROLE_SOURCES = ("Ec2InstanceMetadata", "EcsContainer")  # credential_sources that serve role credentials

# (profile, mfa serial, mfa_process) -> a validated code
MfaCodes = Callable[[str, str, str | None], str]
# an SSO profile -> the provider of its role credentials (built only on a cache miss)
SsoProviders = Callable[[ProfileConfig], Provider]
EndpointFor = Callable[[ProfileConfig], Endpoint]


@dataclasses.dataclass(frozen=True)
class SessionOptions:
    """How long sessions last and whether to make one; from flags and environment."""

    duration: dt.timedelta | None = None  # --duration
    no_session: bool = False  # --no-session
    session_token_ttl: dt.timedelta = ONE_HOUR  # AWS_SESSION_TOKEN_TTL
    chained_session_token_ttl: dt.timedelta = dt.timedelta(hours=8)  # AWS_CHAINED_SESSION_TOKEN_TTL
    assume_role_ttl: dt.timedelta | None = None  # AWS_ASSUME_ROLE_TTL, beats duration_seconds
    federation_token_ttl: dt.timedelta = ONE_HOUR  # AWS_FEDERATION_TOKEN_TTL (awsafe login, IAM users)


def endpoint_for_profile(env: Mapping[str, str]) -> EndpointFor:
    """Where STS is called for a profile: AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > endpoint_url."""
    from awsafe.endpoint_urls import resolve_endpoint_url

    def endpoint(profile: ProfileConfig) -> Endpoint:
        return Endpoint(
            region=profile.region or "us-east-1",
            url=resolve_endpoint_url("sts", env, profile.endpoint_url),
            sts_regional_endpoints=profile.sts_regional_endpoints,
        )

    return endpoint


def generated_session_name(clock: Clock) -> str:
    return f"awsafe-{int(clock().timestamp())}"


def assumed_with_role_credentials(chain: Sequence[ProfileConfig], i: int) -> bool:
    """Whether hop ``i``'s role is assumed with role credentials (another role's, IAM Identity
    Center's, web identity's): role chaining, which AWS caps at 1h and for which console sign-in
    refuses ``SessionDuration``. Decided from the configuration alone, like every cache identity."""
    profile = chain[i]
    if profile.source_profile is None or i + 1 >= len(chain):
        # its own source, after stored keys; the instance's or the task's role is a role session
        return bool(profile.has_sso or profile.has_web_identity or profile.credential_source in ROLE_SOURCES)
    for source in chain[i + 1 :]:
        if source.role_arn or source.has_sso or source.has_web_identity:
            return True
        if source.source_profile is None:
            return False
    return False


def has_other_source(profile: ProfileConfig) -> bool:
    return bool(
        profile.has_sso or profile.has_web_identity or profile.credential_process or profile.credential_source
    )


def sso_identity(profile: ProfileConfig) -> dict[str, Any] | None:
    if not profile.has_sso:
        return None
    return {
        "start_url": profile.sso_start_url,
        "session": profile.sso_session,
        "region": profile.sso_region,
        "account": profile.sso_account_id,
        "role": profile.sso_role_name,
    }


def mfa_session_for_chain(chain: Sequence[ProfileConfig], i: int, *, no_session: bool) -> bool:
    """Whether role hop ``i`` is the source of another role and takes its MFA through a
    GetSessionToken session, which the roles above it share: one code for the whole chain
    (aws-vault). The hop is then assumed with a session token, so capped at 1h."""
    profile = chain[i]
    return (
        bool(profile.mfa_serial)
        and not no_session
        and any(p.role_arn for p in chain[:i])
        and not assumed_with_role_credentials(chain, i)
        and not has_other_source(chain[-1])  # the root holds keys, not SSO or a process
    )


def shared_mfa_serial(chain: Sequence[ProfileConfig], i: int, *, no_session: bool) -> str | None:
    """The serial of the MFA session hop ``i``'s source credentials come from, if any: that of
    the lowest role of the chain when it took its MFA through a session token."""
    roles = [j for j in range(i + 1, len(chain)) if chain[j].role_arn]
    if not roles or not mfa_session_for_chain(chain, roles[-1], no_session=no_session):
        return None
    return chain[roles[-1]].mfa_serial


def asking_profile(chain: Sequence[ProfileConfig], i: int) -> ProfileConfig:
    """Profile ``i`` as it asks for an MFA code: with its own ``mfa_process``, else the nearest
    source's along the chain (aws-vault: a role uses its source profile's mfa_process)."""
    process = next((p.mfa_process for p in chain[i:] if p.mfa_process), None)
    return dataclasses.replace(chain[i], mfa_process=process)
