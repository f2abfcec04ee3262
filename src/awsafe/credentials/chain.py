"""Wire the providers for a resolved profile chain: which source, which STS calls, what is cached.

The source of a profile, in order (aws-vault #1183/#1196): keys stored in the
vault for it, or its ``source_profile``; then SSO; then web identity; then
``credential_process``; else an error naming every source tried.

Sessions (the table in docs/sessions.md): an IAM user gets GetSessionToken (with MFA when it has
``mfa_serial``; a pass-through profile run itself, with ITS ``mfa_serial``, as aws-vault); a
role from a user is assumed with the long-term keys; a role with ``mfa_serial`` asking at most
1h is assumed with a GetSessionToken(MFA) session of its source, shared by every role with that
source and serial; asking more, or holding keys of its own, it is assumed with MFA directly. In
a role -> role chain the lowest role takes the MFA session and the roles above with the same
serial send no MFA parameters: one code per chain. A role assumed with role credentials (or
with a chain's MFA session) is capped at 1h. Every temporary credential is cached under a key
derived from the configuration alone, and providers below a cache are built only on a miss, so
a cache hit touches nothing but the cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from awsafe.aws.sts import AssumeRoleRequest
from awsafe.clock import Clock
from awsafe.config.profile import ProfileConfig
from awsafe.credentials import sources
from awsafe.credentials.cache import CachedProvider, LazyProvider, SessionCache, SessionKey
from awsafe.credentials.outer import OuterSources
from awsafe.credentials.process import ProcessProvider, refuse_process_loop
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import (
    MAX_CHAINED_ROLE,
    ONE_HOUR,
    EndpointFor,
    MfaCodes,
    SessionOptions,
    SsoProviders,
    asking_profile,
    assumed_with_role_credentials,
    generated_session_name,
    has_other_source,
    mfa_session_for_chain,
    shared_mfa_serial,
    sso_identity,
)
from awsafe.credentials.stored import StoredKeys, StoredKeysProvider
from awsafe.credentials.sts import AssumeRoleProvider, SessionTokenProvider
from awsafe.errors import MfaError, NoCredentialsError


class ChainBuilder:
    """Build the provider for the first profile of a resolved chain."""

    def __init__(
        self,
        keys: StoredKeys,
        options: SessionOptions,
        endpoint_for: EndpointFor,
        clock: Clock,
        *,
        cache: SessionCache | None = None,
        mfa: MfaCodes | None = None,
        sso: SsoProviders | None = None,
        outer: OuterSources | None = None,
    ) -> None:
        self._keys = keys
        self._options = options
        self._endpoint_for = endpoint_for
        self._clock = clock
        self._cache = cache
        self._mfa = mfa
        self._sso = sso
        self._outer = outer or OuterSources()

    def build(self, chain: Sequence[ProfileConfig]) -> Provider:
        return self._hop(chain, 0, top=True)

    # -- structure: decided from the configuration alone ---------------------------------

    def _hop(self, chain: Sequence[ProfileConfig], i: int, *, top: bool = False) -> Provider:
        profile = chain[i]
        if sources.is_web_identity(profile):  # its role_arn is the one the token is exchanged for
            return self._web_identity(profile)
        if profile.role_arn:
            return self._cached(
                LazyProvider(lambda: self._assume_role(chain, i), f"AssumeRole for {profile.name!r}"),
                SessionKey.of(
                    "assume-role",
                    profile.name,
                    profile.mfa_serial,
                    self._identity(chain, i),
                    (p.name for p in chain[i:]),
                ),
            )
        if profile.source_profile is not None:

            def via_source() -> Provider:
                if self._keys.has(profile.name):
                    return self._user(chain, i, top=top)
                if top and not self._options.no_session:
                    root = self._root_user(chain, i + 1)
                    if root is not None:  # aws-vault: the session token carries ITS mfa_serial
                        return self._user(chain, root, top=True, mfa_from=i)
                return self._hop(chain, i + 1, top=top)

            return LazyProvider(via_source, f"credentials of {profile.name!r} via its source_profile")
        return self._user(chain, i, top=top)

    def _user(
        self, chain: Sequence[ProfileConfig], i: int, *, top: bool, mfa_from: int | None = None
    ) -> Provider:
        """A profile at the root of a chain: stored keys (with a session on top), or another source.

        ``mfa_from``: the pass-through profile run, whose own ``mfa_serial`` (or none) the session
        token carries, as in aws-vault; the session is still the root user's, keyed by serial."""
        profile = chain[i]
        if has_other_source(profile) and not self._keys.has(profile.name):
            return self._other_source(profile)
        stored = self._stored(profile)
        if not top or self._options.no_session:
            return stored
        duration = self._options.duration or self._options.session_token_ttl
        owner = i if mfa_from is None else mfa_from
        return self._session_token(
            profile, stored, chain[owner].mfa_serial, duration, owner=asking_profile(chain, owner)
        )

    def _root_user(self, chain: Sequence[ProfileConfig], i: int) -> int | None:
        """Below pass-through profiles from ``i``, the index of the user whose stored keys sign,
        or None when the chain reaches a role or another source first (reads the vault)."""
        for j in range(i, len(chain)):
            profile = chain[j]
            if profile.role_arn:
                return None
            if self._keys.has(profile.name):
                return j
            if profile.source_profile is None or j + 1 >= len(chain):
                return None if has_other_source(profile) else j
        return None

    def _session_token(
        self,
        profile: ProfileConfig,
        stored: Provider,
        serial: str | None,
        duration: dt.timedelta,
        *,
        owner: ProfileConfig,
    ) -> Provider:
        inner = SessionTokenProvider(
            stored,
            self._endpoint_for(profile),
            duration,
            profile=profile.name,
            mfa_serial=serial,
            token_code=self._code(owner) if serial else None,
        )
        identity = {
            "kind": "session-token",
            "profile": profile.name,
            "mfa_serial": serial,
            "duration": int(duration.total_seconds()),
            "endpoint": self._endpoint_for(profile).url,
        }
        return self._cached(
            inner, SessionKey.of("session-token", profile.name, serial, identity, [profile.name])
        )

    def _identity(self, chain: Sequence[ProfileConfig], i: int) -> dict[str, Any]:
        """Everything in the configuration that shapes hop ``i``'s credentials (no secrets)."""
        profile = chain[i]
        identity: dict[str, Any] = {"profile": profile.name, "endpoint": self._endpoint_for(profile).url}
        has_source = profile.source_profile is not None and i + 1 < len(chain)
        if sources.is_web_identity(profile):
            identity.update(sources.web_identity_identity(profile, self._web_identity_duration(profile)))
        elif profile.role_arn:
            identity.update(
                kind="assume-role",
                role_arn=profile.role_arn,
                external_id=profile.external_id,
                session_name=profile.role_session_name,
                source_identity=profile.source_identity,
                duration=int(self._role_duration(chain, i).total_seconds()),
                tags=list(profile.session_tags),
                transitive=list(profile.transitive_session_tags),
                mfa_serial=profile.mfa_serial,
                source=self._identity(chain, i + 1)
                if has_source
                else {
                    "kind": "stored",
                    "profile": profile.name,
                    **sources.outer_identity(profile, self._outer),
                },
            )
        elif has_source:
            identity.update(kind="via", source=self._identity(chain, i + 1))
        else:
            identity.update(kind="root", process=profile.credential_process, sso=sso_identity(profile))
        return identity

    def _role_duration(self, chain: Sequence[ProfileConfig], i: int) -> dt.timedelta:
        profile = chain[i]
        options = self._options
        duration = options.duration or options.assume_role_ttl or profile.duration or ONE_HOUR
        capped = assumed_with_role_credentials(chain, i) or mfa_session_for_chain(
            chain, i, no_session=self._options.no_session
        )
        return min(duration, MAX_CHAINED_ROLE) if capped else duration

    # -- on a cache miss: the providers that really fetch ----------------------------------

    def _assume_role(self, chain: Sequence[ProfileConfig], i: int) -> Provider:
        profile = chain[i]
        duration = self._role_duration(chain, i)
        source_config = chain[i + 1] if profile.source_profile is not None and i + 1 < len(chain) else None
        root = None if source_config is None else self._root_user(chain, i + 1)
        if source_config is None and has_other_source(profile) and not self._keys.has(profile.name):
            source, mfa_direct = self._other_source(profile), bool(profile.mfa_serial)
        elif source_config is None or self._keys.has(profile.name):
            source, mfa_direct = self._role_source_from_keys(chain, i, i, duration)
        elif root is not None:  # a user, directly or under pass-through profiles
            source, mfa_direct = self._role_source_from_keys(chain, i, root, duration)
        else:  # a role (chained), or a source that is not stored keys
            shared = shared_mfa_serial(chain, i, no_session=self._options.no_session)
            source = self._hop(chain, i + 1)
            # the MFA session below already carries this serial: AWS takes SerialNumber only
            # from the user making the call, which a role session is not (aws-vault)
            mfa_direct = bool(profile.mfa_serial) and profile.mfa_serial != shared
        assert profile.role_arn is not None
        request = AssumeRoleRequest(
            role_arn=profile.role_arn,
            session_name=profile.role_session_name or generated_session_name(self._clock),
            duration=duration,
            external_id=profile.external_id,
            source_identity=profile.source_identity,
            tags=profile.session_tags,
            transitive_tag_keys=profile.transitive_session_tags,
            mfa_serial=profile.mfa_serial if mfa_direct else None,
        )
        return AssumeRoleProvider(
            source,
            self._endpoint_for(profile),
            request,
            profile=profile.name,
            token_code=self._code(asking_profile(chain, i)) if mfa_direct else None,
        )

    def _role_source_from_keys(
        self, chain: Sequence[ProfileConfig], i: int, keys_of: int, duration: dt.timedelta
    ) -> tuple[Provider, bool]:
        """The source of role ``i`` assumed with the keys of ``chain[keys_of]`` (a user, or the
        role itself), and whether AssumeRole carries MFA. With MFA: a GetSessionToken session
        (shared by roles) when the role is the source of another role, or is assumed with a
        user's keys for at most 1h; else AssumeRole with MFA directly (aws-vault: a role with
        keys of its own is assumed with MFA, no session token first)."""
        role, user = chain[i], chain[keys_of]
        stored = self._stored(user)
        if not role.mfa_serial:
            return stored, False
        shared = mfa_session_for_chain(chain, i, no_session=self._options.no_session) or (
            keys_of != i and not self._options.no_session and duration <= ONE_HOUR
        )
        if not shared:
            return stored, True
        ttl = self._options.chained_session_token_ttl
        owner = asking_profile(chain, i)
        return self._session_token(user, stored, role.mfa_serial, ttl, owner=owner), False

    def _other_source(self, profile: ProfileConfig) -> Provider:
        """After stored keys and source_profile: SSO, then web identity, then credential_process."""
        if profile.has_sso:
            identity = {"kind": "sso", "profile": profile.name, "sso": sso_identity(profile)}
            return self._cached(
                LazyProvider(
                    lambda: self._sso_provider(profile), f"IAM Identity Center for {profile.name!r}"
                ),
                SessionKey.of("sso", profile.name, None, identity, [profile.name]),
            )
        if profile.has_web_identity:
            return self._web_identity(profile)
        if profile.credential_process:
            refuse_process_loop(profile.name, self._outer.environ)
            identity = {"kind": "process", "profile": profile.name, "command": profile.credential_process}
            return self._cached(
                ProcessProvider(profile.credential_process, profile=profile.name),
                SessionKey.of("process", profile.name, None, identity, [profile.name]),
            )
        return sources.credential_source(profile, self._outer)

    def _web_identity_duration(self, profile: ProfileConfig) -> dt.timedelta:
        # Not role chaining: the token is no role session, so no 1h cap.
        options = self._options
        return options.duration or options.assume_role_ttl or profile.duration or ONE_HOUR

    def _web_identity(self, profile: ProfileConfig) -> Provider:
        duration = self._web_identity_duration(profile)
        identity = {
            "profile": profile.name,
            "endpoint": self._endpoint_for(profile).url,
            **sources.web_identity_identity(profile, duration),
        }
        return self._cached(
            sources.web_identity(
                profile,
                self._endpoint_for(profile),
                duration,
                self._outer.environ,
                session_name=profile.role_session_name or generated_session_name(self._clock),
            ),
            SessionKey.of("web-identity", profile.name, None, identity, [profile.name]),
        )

    def _sso_provider(self, profile: ProfileConfig) -> Provider:
        if self._sso is None:
            raise NoCredentialsError(f"profile {profile.name!r} uses IAM Identity Center, unavailable here")
        return self._sso(profile)

    def _stored(self, profile: ProfileConfig) -> Provider:
        return StoredKeysProvider(self._keys, profile.name, missing=lambda: self._no_source(profile))

    def _no_source(self, profile: ProfileConfig) -> NoCredentialsError:
        if not profile.defined:
            return NoCredentialsError(
                f"profile {profile.name!r} is not in the config file and has no keys in the "
                f"{self._keys.backend} vault",
                hint=f"add it with: awsafe add {profile.name}",
            )
        return NoCredentialsError(
            f"no credentials for profile {profile.name!r} ({profile.where}): tried keys in the "
            f"{self._keys.backend} vault, source_profile, SSO, web identity and credential_process",
            hint=f"store keys with: awsafe add {profile.name}",
        )

    def _code(self, owner: ProfileConfig) -> Callable[[], str]:
        serial = owner.mfa_serial
        assert serial is not None

        def ask() -> str:
            if self._mfa is None:
                raise MfaError(f"profile {owner.name!r} needs an MFA code for {serial} and none can be asked")
            return self._mfa(owner.name, serial, owner.mfa_process)

        return ask

    def _cached(self, inner: Provider, key: SessionKey) -> Provider:
        return inner if self._cache is None else CachedProvider(inner, self._cache, key)
