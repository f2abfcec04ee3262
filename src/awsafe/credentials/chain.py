"""Wire the providers for a resolved profile chain: which source, which STS calls, which durations.

The source of a profile, in order (aws-vault #1183/#1196): keys stored in the
vault for it, or its ``source_profile``; then SSO; then web identity; then
``credential_process``; else an error naming every source tried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from awsafe.aws import AssumeRoleRequest, Endpoint
from awsafe.clock import Clock
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.provider import Provider
from awsafe.credentials.stored import StoredKeys, StoredKeysProvider
from awsafe.credentials.sts import AssumeRoleProvider, SessionTokenProvider
from awsafe.errors import ConfigError, NoCredentialsError

ONE_HOUR = dt.timedelta(hours=1)
MAX_CHAINED_ROLE = ONE_HOUR  # AWS refuses more for a role assumed with role credentials


@dataclasses.dataclass(frozen=True)
class SessionOptions:
    """How long sessions last and whether to make one; from flags and environment."""

    duration: dt.timedelta | None = None  # --duration
    no_session: bool = False  # --no-session
    session_token_ttl: dt.timedelta = ONE_HOUR  # AWS_SESSION_TOKEN_TTL
    chained_session_token_ttl: dt.timedelta = dt.timedelta(hours=8)  # AWS_CHAINED_SESSION_TOKEN_TTL
    assume_role_ttl: dt.timedelta | None = None  # AWS_ASSUME_ROLE_TTL, beats duration_seconds


@dataclasses.dataclass(frozen=True)
class Built:
    provider: Provider
    is_role: bool  # the credentials are role credentials (the next hop is a role chain)


EndpointFor = Callable[[ProfileConfig], Endpoint]


def endpoint_for_profile(env: Mapping[str, str]) -> EndpointFor:
    """Where STS is called for a profile: AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > endpoint_url."""
    ignore_configured = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"

    def endpoint(profile: ProfileConfig) -> Endpoint:
        url = None
        if not ignore_configured:
            url = (
                env.get("AWS_ENDPOINT_URL_STS")
                or env.get("AWS_ENDPOINT_URL")
                or profile.endpoint_url
            )
        return Endpoint(
            region=profile.region or "us-east-1",
            url=url or None,
            sts_regional_endpoints=profile.sts_regional_endpoints,
        )

    return endpoint


def generated_session_name(clock: Clock) -> str:
    return f"awsafe-{int(clock().timestamp())}"


class ChainBuilder:
    """Build the provider for the first profile of a resolved chain."""

    def __init__(
        self,
        keys: StoredKeys,
        options: SessionOptions,
        endpoint_for: EndpointFor,
        clock: Clock,
    ) -> None:
        self._keys = keys
        self._options = options
        self._endpoint_for = endpoint_for
        self._clock = clock

    def build(self, chain: Sequence[ProfileConfig]) -> Provider:
        built = self._build(chain, 0)
        return built.provider

    def _build(self, chain: Sequence[ProfileConfig], index: int) -> Built:
        profile = chain[index]
        is_target = index == 0
        if self._keys.has(profile.name):
            source: Built = Built(StoredKeysProvider(self._keys, profile.name), is_role=False)
            if profile.role_arn:
                return self._assume_role(profile, source)
            if is_target and not self._options.no_session:
                return Built(self._session_token(profile, source.provider), is_role=False)
            return source
        if profile.source_profile is not None:
            source = self._build(chain, index + 1)
            if profile.role_arn:
                return self._assume_role(profile, source)
            return source
        if profile.has_sso:
            raise NoCredentialsError(
                f"profile {profile.name!r} uses IAM Identity Center (SSO), which this version "
                "of awsafe does not support yet"
            )
        if profile.has_web_identity:
            raise NoCredentialsError(
                f"profile {profile.name!r} uses web identity, which this version of awsafe "
                "does not support yet"
            )
        if profile.credential_process or profile.credential_source:
            key = "credential_process" if profile.credential_process else "credential_source"
            raise NoCredentialsError(
                f"profile {profile.name!r} uses {key}, which this version of awsafe does not "
                "support yet"
            )
        if not profile.defined:
            raise NoCredentialsError(
                f"profile {profile.name!r} is not in the config file and has no keys in the "
                f"{self._keys.backend} vault",
                hint=f"add it with: awsafe add {profile.name}",
            )
        raise NoCredentialsError(
            f"no credentials for profile {profile.name!r} ({profile.where}): tried keys in the "
            f"{self._keys.backend} vault, source_profile, SSO, web identity and credential_process",
            hint=f"store keys with: awsafe add {profile.name}",
        )

    def _session_token(self, profile: ProfileConfig, source: Provider) -> Provider:
        _refuse_mfa(profile)
        duration = self._options.duration or self._options.session_token_ttl
        return SessionTokenProvider(
            source, self._endpoint_for(profile), duration, profile=profile.name
        )

    def _assume_role(self, profile: ProfileConfig, source: Built) -> Built:
        assert profile.role_arn is not None
        options = self._options
        duration = options.duration or options.assume_role_ttl or profile.duration or ONE_HOUR
        if source.is_role and duration > MAX_CHAINED_ROLE:
            duration = MAX_CHAINED_ROLE
        request = AssumeRoleRequest(
            role_arn=profile.role_arn,
            session_name=profile.role_session_name or generated_session_name(self._clock),
            duration=duration,
            external_id=profile.external_id,
            source_identity=profile.source_identity,
            tags=profile.session_tags,
            transitive_tag_keys=profile.transitive_session_tags,
        )
        _refuse_mfa(profile)
        provider = AssumeRoleProvider(
            source.provider, self._endpoint_for(profile), request, profile=profile.name
        )
        return Built(provider, is_role=True)


def _refuse_mfa(profile: ProfileConfig) -> None:
    """Calling STS without the code would fail at AWS or, worse, succeed without MFA."""
    if profile.mfa_serial:
        raise ConfigError(
            f"{profile.where}: profile {profile.name!r} sets mfa_serial (possibly inherited from "
            "[default] or AWS_MFA_SERIAL); MFA is not supported by this version of awsafe yet"
        )
