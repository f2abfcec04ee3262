"""Wiring for IAM Identity Center: the token keeper and sign-in flags from options and the environment."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from awsafe.config.profile import ProfileConfig
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import SsoProviders
from awsafe.durations import parse_duration
from awsafe.environment import Environment
from awsafe.process_guard import make_undumpable
from awsafe.vault.base import Store
from awsafe.wiring.state import locks_for, notice

if TYPE_CHECKING:
    from awsafe.aws.sso import Account, TokenGrant
    from awsafe.sso.settings import SsoSession
    from awsafe.sso.tokens import SsoTokens

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SignInFlags:
    """How `sso login` (or an SSO profile needing a token) signs in; flags beat the environment."""

    device_code: bool = False  # --device-code / AWSAFE_SSO_DEVICE_CODE
    no_browser: bool = False  # --no-browser / AWSAFE_SSO_NO_BROWSER
    to_stdout: bool = False  # --stdout: the URL and code on stdout, no browser


def _flag(env: Environment, name: str) -> bool:
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes")


def sso_tokens(store: Store, env: Environment, flags: SignInFlags = SignInFlags()) -> SsoTokens:
    """The SSO token keeper over ``store``, signing in interactively when it must."""
    from awsafe.aws.sso import Registrations
    from awsafe.sso.cli_cache import CliTokenCache, cache_mode
    from awsafe.sso.settings import SsoEndpoints
    from awsafe.sso.store import SsoTokenStore
    from awsafe.sso.tokens import SsoTokens

    mode = cache_mode(env.get("AWSAFE_SSO_CLI_CACHE"))
    cli_cache = (
        None
        if mode == "off"
        else CliTokenCache(env.home / ".aws" / "sso" / "cache", writable=mode == "write")
    )
    endpoints = SsoEndpoints.from_environ(env.environ)
    timeout = env.get("AWSAFE_SSO_LOGIN_TIMEOUT")
    options_timeout = (
        parse_duration(timeout, "AWSAFE_SSO_LOGIN_TIMEOUT").total_seconds() if timeout else 300.0
    )

    def sign_in(session: SsoSession, registrations: Registrations) -> TokenGrant:
        from awsafe.browser import open_in_browser
        from awsafe.sso.signin import SignInOptions, choose_flow
        from awsafe.sso.signin import sign_in as run_sign_in

        if make_undumpable():  # the wait for the browser can take minutes, with the vault unlocked
            log.debug("not dumpable while signing in")
        options = SignInOptions(
            device_code=flags.device_code or _flag(env, "AWSAFE_SSO_DEVICE_CODE"),
            open_browser=not (flags.no_browser or flags.to_stdout or _flag(env, "AWSAFE_SSO_NO_BROWSER")),
            timeout=options_timeout,
        )
        return run_sign_in(
            session,
            endpoints.oidc(session),
            registrations,
            options,
            flow=choose_flow(options, env.environ),
            out=env.stdout if flags.to_stdout else env.stderr,
            spinner=env.stderr if env.stderr.isatty() else None,
            open_url=open_in_browser,
            clock=env.clock,
        )

    return SsoTokens(
        SsoTokenStore(store),
        locks_for(env),
        env.clock,
        endpoints,
        sign_in,
        cli_cache,
        notice=lambda text: notice(env, text),
    )


def sso_providers(store: Store, env: Environment, flags: SignInFlags = SignInFlags()) -> SsoProviders:
    """Build, on a cache miss, the provider of an SSO profile's role credentials; ``flags``: how
    a sign-in it needs goes (`exec`/`export --stdout`: print the URL, open no browser)."""

    def build(profile: ProfileConfig) -> Provider:
        from awsafe.credentials.sso import SsoRoleProvider
        from awsafe.sso.settings import role_of

        return SsoRoleProvider(sso_tokens(store, env, flags), role_of(profile), profile=profile.name)

    return build


def fetch_account_roles(tokens: SsoTokens, session: SsoSession) -> Iterator[tuple[Account, str]]:
    """Every (account, role) the session may use, from its portal: signs in first if it must."""
    from awsafe.aws import sso as api

    token = tokens.access_token(session)
    portal = tokens.endpoints.portal(session)

    def pairs() -> Iterator[tuple[Account, str]]:
        for account in api.list_accounts(portal, token):
            for role in api.list_account_roles(portal, token, account.account_id):
                yield account, role

    return pairs()
