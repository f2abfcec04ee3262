"""Wiring of `explain`: the config, the session options and, only when it opens without a
prompt, the vault (which keys are stored, what is cached); never a fetch or a prompt."""

from __future__ import annotations

from collections.abc import Callable

from awsafe.config.profile import ProfileConfig
from awsafe.config.resolve import Overrides
from awsafe.credentials.cache import SessionCache, SessionKey
from awsafe.credentials.outer import OuterSources, resolve_outer_keys
from awsafe.credentials.rules import endpoint_for_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import StoreError
from awsafe.explain.report import CachedState, Explanation, SignIn, VaultView, explain_profile
from awsafe.vault.base import Store
from awsafe.wiring.options import CredentialRequest, GlobalOptions, session_options
from awsafe.wiring.provider import read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault


def explain_request(options: GlobalOptions, env: Environment, request: CredentialRequest) -> Explanation:
    """What `explain` shows for ``request``: the vault is read only if no prompt is needed."""
    config = read_config(env)
    return explain_profile(
        config,
        request.profile,
        env.environ,
        overrides=Overrides(region=request.region),
        options=session_options(env.environ, duration=request.duration, no_session=request.no_session),
        endpoint_for=endpoint_for_profile(env.environ),
        clock=env.clock,
        outer=OuterSources(env.environ, resolve_outer_keys(env.environ)),
        vault=_read_vault(options, env),
    )


def _read_vault(options: GlobalOptions, env: Environment) -> VaultView:
    """The vault's keys, sessions and sign-ins, if it opens without asking for a passphrase."""
    try:
        store = open_vault(options, env, interactive=False)
    except StoreError:
        return VaultView("the vault")
    try:
        keys = StoredKeys(store)
        keys.profiles()  # the first read: a locked vault says so here
        cache = session_cache(store, env, keys)
        return VaultView(f"the {store.name} vault", keys, _looker(cache), _sign_ins(store))
    except StoreError:
        return VaultView(f"the {store.name} vault")


def _sign_ins(store: Store) -> Callable[[ProfileConfig], SignIn]:
    """The expiry of the token of an SSO profile's sign-in, read from the token list (no secret)."""
    from awsafe.sso.store import SsoTokenStore

    tokens = SsoTokenStore(store).tokens()

    def sign_in(profile: ProfileConfig) -> SignIn:
        if profile.sso_session:
            found = [t for t in tokens if t.session_name == profile.sso_session]
            label = f"sso-session {profile.sso_session}"
        else:
            found = [t for t in tokens if t.session_name is None and t.start_url == profile.sso_start_url]
            label = str(profile.sso_start_url)
        return SignIn(label, max((t.expires_at for t in found), default=None))

    return sign_in


def _looker(cache: SessionCache) -> Callable[[SessionKey], CachedState | None]:
    """Each session's expiry, and whether a run now would be served it (fresh, same keys)."""
    sessions = {session.key: session for session in cache.sessions()}

    def look_up(key: SessionKey) -> CachedState | None:
        session = sessions.get(key)
        if session is None:
            return None
        return CachedState(session.credentials.expires_at, served=cache.get(key) is not None)

    return look_up
