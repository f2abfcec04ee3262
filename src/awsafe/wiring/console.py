"""Wiring of `awsafe login`: which temporary credentials the console gets, and the SessionDuration.

See docs/commands/login.md#which-credentials: a role profile's role credentials; an SSO
profile's role credentials; for a plain IAM user, GetFederationToken with the long-term keys
(cached like any session). ``SessionDuration`` goes along only for a role assumed from
long-term keys or an MFA session; never for a chained role, whose credentials AWS would
refuse with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from awsafe.config.profile import ProfileConfig
from awsafe.credentials.rules import MfaCodes, assumed_with_role_credentials
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.model import Credentials
from awsafe.vault.base import Store
from awsafe.wiring.options import CredentialRequest, GlobalOptions, session_options
from awsafe.wiring.provider import build_provider
from awsafe.wiring.sessions import session_cache

ONE_HOUR = dt.timedelta(hours=1)
MIN_FEDERATION = dt.timedelta(seconds=900)
MAX_FEDERATION = dt.timedelta(seconds=129600)


def console_credentials(
    options: GlobalOptions,
    env: Environment,
    chain: list[ProfileConfig],
    request: CredentialRequest,
    store: Store,
    mfa: MfaCodes | None = None,
) -> tuple[Credentials, dt.timedelta | None]:
    """Temporary credentials for the console, and the SessionDuration to ask (None: send none);
    ``mfa``: how codes are asked (default: the prompt driver the flags and environment choose)."""
    profile = chain[0]
    keys = StoredKeys(store)
    if profile.role_arn or (profile.has_sso and not keys.has(profile.name)):
        credentials = build_provider(options, env, chain, request, store, mfa).retrieve()
        if not profile.role_arn or assumed_with_role_credentials(chain, 0):
            return credentials, None
        opts = session_options(env.environ, duration=request.duration, no_session=request.no_session)
        return credentials, opts.duration or opts.assume_role_ttl or profile.duration or ONE_HOUR
    plain = dataclasses.replace(request, duration=None, no_session=True)
    source = build_provider(options, env, chain, plain, store, mfa).retrieve()
    if source.is_temporary:  # credential_process handed out a session already
        return source, None
    if profile.mfa_serial:
        env.stderr.write(
            f"awsafe: profile {profile.name!r} has mfa_serial, but GetFederationToken takes only "
            "long-term keys, so this console session carries no MFA (policies requiring MFA deny it); "
            "for MFA in the console, sign in through a role profile with mfa_serial\n"
        )
    return _federation_token(env, chain, request, store, keys), None


def _federation_token(
    env: Environment, chain: list[ProfileConfig], request: CredentialRequest, store: Store, keys: StoredKeys
) -> Credentials:
    from awsafe.credentials.cache import CachedProvider, SessionKey
    from awsafe.credentials.rules import endpoint_for_profile
    from awsafe.credentials.stored import StoredKeysProvider
    from awsafe.credentials.sts import FederationTokenProvider

    profile = chain[0]
    owner = next((p for p in chain if keys.has(p.name)), profile)
    opts = session_options(env.environ, duration=request.duration, no_session=True)
    duration = opts.duration or opts.federation_token_ttl
    if not MIN_FEDERATION <= duration <= MAX_FEDERATION:
        raise UsageError("a federation token lasts from 15m to 36h")
    endpoint = endpoint_for_profile(env.environ)(profile)
    provider = FederationTokenProvider(
        StoredKeysProvider(keys, owner.name), endpoint, duration, profile=profile.name
    )
    identity = {
        "kind": "federation-token",
        "profile": profile.name,
        "owner": owner.name,
        "duration": int(duration.total_seconds()),
        "endpoint": endpoint.url,
    }
    key = SessionKey.of("federation-token", profile.name, None, identity, [p.name for p in chain])
    return CachedProvider(provider, session_cache(store, env, keys), key).retrieve()
