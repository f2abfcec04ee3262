"""Wiring of the credential chain: the config file, the profile chain a request names, its provider."""

from __future__ import annotations

import logging
from pathlib import Path

from awsafe.config.load import load_config
from awsafe.config.parse import ConfigFile
from awsafe.config.profile import ProfileConfig
from awsafe.config.resolve import Overrides, resolve_chain
from awsafe.credentials.chain import ChainBuilder
from awsafe.credentials.outer import OuterSources, resolve_outer_keys
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import MfaCodes, endpoint_for_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.paths import config_path
from awsafe.vault.base import Store
from awsafe.wiring.mfa import mfa_codes
from awsafe.wiring.options import CredentialRequest, GlobalOptions, session_options
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.sso import SignInFlags, sso_providers

log = logging.getLogger(__name__)


def read_config(env: Environment) -> ConfigFile:
    return load_config(config_path(env.environ, env.home))


def config_file_path(env: Environment) -> Path:
    return config_path(env.environ, env.home)


def load_profile_chain(env: Environment, request: CredentialRequest) -> list[ProfileConfig]:
    """The chain of profiles ``request`` names, read from the config file."""
    config = read_config(env)
    return resolve_chain(config, request.profile, env.environ, Overrides(region=request.region))


def build_provider(
    options: GlobalOptions,
    env: Environment,
    chain: list[ProfileConfig],
    request: CredentialRequest,
    store: Store,
    mfa: MfaCodes | None = None,
) -> Provider:
    """The provider of ``chain``'s credentials over ``store``; ``mfa``: how codes are asked
    (default: the prompt driver the flags and environment choose)."""
    if request.duration and request.no_session and not chain[0].role_arn:
        raise UsageError("--duration has no effect with --no-session for a profile without a role")
    keys = StoredKeys(store)
    builder = ChainBuilder(
        keys,
        session_options(env.environ, duration=request.duration, no_session=request.no_session),
        endpoint_for_profile(env.environ),
        env.clock,
        cache=session_cache(store, env, keys),
        mfa=mfa or mfa_codes(options, env, request),
        sso=sso_providers(store, env, SignInFlags(no_browser=request.sso_no_browser)),
        outer=OuterSources(env.environ, resolve_outer_keys(env.environ)),
    )
    provider = builder.build(chain)
    log.debug("credentials: %s", provider.describe())
    return provider
