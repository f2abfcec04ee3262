"""Wiring of `explain`: the config, the session options and, only when it opens without a
prompt, the vault (which keys are stored, what is cached); never a fetch or a prompt."""

from __future__ import annotations

from collections.abc import Callable

from awsafe.config.profile import ProfileConfig
from awsafe.config.resolve import Overrides, resolve_chain
from awsafe.credentials.cache import SessionCache, SessionKey
from awsafe.credentials.outer import OuterSources, resolve_outer_keys
from awsafe.credentials.rules import endpoint_for_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import StoreError
from awsafe.explain.report import CachedState, Explanation, SignIn, assumed_keys, explain_profile
from awsafe.model import redact
from awsafe.vault.base import Store
from awsafe.wiring.options import CredentialRequest, GlobalOptions, session_options
from awsafe.wiring.provider import read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault

LOCKED = "cache not inspected (vault locked)"


def explain_request(options: GlobalOptions, env: Environment, request: CredentialRequest) -> Explanation:
    """What `explain` shows for ``request``: the vault is read only if no prompt is needed."""
    config = read_config(env)
    overrides = Overrides(region=request.region)
    chain = resolve_chain(config, request.profile, env.environ, overrides)
    keys: StoredKeys | None = None
    cache: SessionCache | None = None
    backend = "the vault"
    try:
        store = open_vault(options, env, interactive=False)
        backend = f"the {store.name} vault"
        keys = StoredKeys(store)
        stored = keys.profiles()  # the first read: a locked vault says so here
        cache = session_cache(store, env, keys)
    except StoreError:
        keys, cache = None, None
    if keys is None or cache is None:
        keys_note = f"{backend} is locked: assumed that keys are stored for {chain[-1].name!r} only"
        look_up = None
        cache_note = LOCKED
        keys = assumed_keys(chain)
        sign_ins = None
    else:
        named = [p.name for p in chain if p.name in stored]
        listed = ", ".join(f"{name!r} ({_key_id(keys, name)})" for name in named)
        keys_note = f"stored keys in {backend}: {listed or 'none for this chain'}"
        look_up = _looker(cache)
        cache_note = f"read from {backend}"
        sign_ins = _sign_ins(store)
    return explain_profile(
        config,
        request.profile,
        dict(env.environ),
        overrides=overrides,
        options=session_options(env.environ, duration=request.duration, no_session=request.no_session),
        endpoint_for=endpoint_for_profile(env.environ),
        clock=env.clock,
        outer=OuterSources(env.environ, resolve_outer_keys(env.environ)),
        keys=keys,
        keys_note=keys_note,
        look_up=look_up,
        cache_note=cache_note,
        sign_ins=sign_ins,
    )


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


def _key_id(keys: StoredKeys, profile: str) -> str:
    found = keys.get(profile)
    return "?" if found is None else redact(found.access_key_id)


def _looker(cache: SessionCache) -> Callable[[SessionKey], CachedState | None]:
    """Each session's expiry, and whether a run now would be served it (fresh, same keys)."""
    sessions = {session.key: session for session in cache.sessions()}

    def look_up(key: SessionKey) -> CachedState | None:
        session = sessions.get(key)
        if session is None:
            return None
        return CachedState(session.credentials.expires_at, served=cache.get(key) is not None)

    return look_up
