"""Wiring of the session cache and the fast path records written after a full-path answer."""

from __future__ import annotations

import datetime as dt

from awsafe.credentials.cache import SessionCache
from awsafe.credentials.provider import Provider
from awsafe.credentials.stored import StoredKeys
from awsafe.durations import parse_min_ttl
from awsafe.environment import Environment
from awsafe.model import Credentials
from awsafe.vault.base import Store
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from awsafe.wiring.state import locks_for


def session_cache(store: Store, env: Environment, keys: StoredKeys | None = None) -> SessionCache:
    """The cache of temporary credentials inside ``store``, with its cross-process locks.

    ``keys``: the StoredKeys the fetches read, so each session is bound to the keys it used.
    """
    return SessionCache(store, locks_for(env), env.clock, min_ttl(env), keys)


def min_ttl(env: Environment) -> dt.timedelta:
    """AWS_MIN_TTL: credentials with less life left are refreshed (default 5 minutes)."""
    return parse_min_ttl(env.environ)


def remember_for_fast_path(
    options: GlobalOptions,
    env: Environment,
    request: CredentialRequest,
    store: Store,
    provider: Provider,
    credentials: Credentials,
    region: str | None,
    account_id: str | None = None,
) -> None:
    """Tell the fast path where this request's session lives, when a plain call could find it again.

    The record is sealed with the ``credentials`` just served (the session in that item), so a
    record moved or edited makes the fast path decline.
    """
    from awsafe.credentials.cache import CachedProvider
    from awsafe.credentials.record import PREFIX

    plain = not (
        request.region
        or request.duration
        or request.no_session
        or options.backend
        or options.file_dir
        or options.vault_flags
    )
    if not plain or not request.fast_path_key or not isinstance(provider, CachedProvider):
        return
    from awsafe.credentials.fastpath import render_fast_path_seal, write_fast_path_record

    location = {"backend": store.name, **store.location()}
    record: dict[str, object] = {
        "item": PREFIX + provider.key.name,
        "digest": provider.key.digest,
        "region": region,
        "account_id": account_id,  # sealed with the rest: the fast path prints what the full path does
        **location,
    }
    seal = render_fast_path_seal(request.fast_path_key, record, credentials.secret_access_key)
    write_fast_path_record(request.fast_path_key, env.environ, {**record, "seal": seal})
