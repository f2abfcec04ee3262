"""Build the objects a command needs (config, vault, provider chain) from options and the environment.

This is the only place that maps environment variables and flags onto the
domain (`wiring.sso` for IAM Identity Center, `wiring.rotation` for rotate's STS
and IAM calls, `wiring.endpoints` for the ECS endpoint's roles, `wiring.state` for
~/.awsafe, its locks and notices); the domain packages take plain values, and the
commands in `cli` reach AWS only through here. The modules of this package import
`wiring.state`, never the package itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awsafe.config.load import load_config
from awsafe.config.parse import ConfigFile
from awsafe.config.profile import ProfileConfig
from awsafe.config.resolve import Overrides, resolve_chain
from awsafe.credentials.cache import SessionCache
from awsafe.credentials.chain import ChainBuilder
from awsafe.credentials.provider import Provider
from awsafe.credentials.rules import MfaCodes, SessionOptions, endpoint_for_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.durations import parse_duration as parse_duration  # re-exported for rotate
from awsafe.durations import parse_min_ttl, parse_whole_number
from awsafe.environment import Environment
from awsafe.errors import PromptError, UsageError
from awsafe.model import Credentials
from awsafe.paths import config_path
from awsafe.process_guard import PASSPHRASE_VARIABLES
from awsafe.vault.base import Store
from awsafe.wiring.state import locks_for, state_dir

if TYPE_CHECKING:
    from awsafe.prompts.request import MfaRequest

log = logging.getLogger(__name__)

DEFAULT_SCRYPT_LOG2N = 17
MIN_SCRYPT_LOG2N = 14  # the file vault accepts less; awsafe never creates one that weak
MAX_SCRYPT_LOG2N = 20


@dataclasses.dataclass(frozen=True)
class GlobalOptions:
    debug: bool = False
    backend: str | None = None
    file_dir: str | None = None
    prompt: str | None = None


MIN_DURATION = dt.timedelta(minutes=15)
MAX_DURATION = dt.timedelta(hours=36)


def _checked_duration(text: str) -> dt.timedelta:
    """--duration within what STS accepts at all (15 min to 36 h; roles stop at 12 h)."""
    duration = parse_duration(text, "--duration")
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UsageError(f"--duration must be between 15m and 36h, got {text!r}")
    return duration


def read_config(env: Environment) -> ConfigFile:
    return load_config(config_path(env.environ, env.home))


def config_file_path(env: Environment) -> Path:
    return config_path(env.environ, env.home)


def _passphrase_source(env: Environment) -> str:
    passphrase = env.get(*PASSPHRASE_VARIABLES)
    if passphrase is not None:
        return passphrase
    from awsafe.prompts.terminal import ask_secret

    try:
        return ask_secret("Enter passphrase to unlock the awsafe file vault: ")
    except PromptError as e:
        raise PromptError(
            "the file vault needs a passphrase and there is no terminal to ask on",
            hint="set AWSAFE_FILE_PASSPHRASE, or use --backend to pick the OS keychain",
        ) from e


def _scrypt_log2n(env: Environment) -> int:
    text = env.get("AWSAFE_FILE_SCRYPT_LOG2N")
    if text is None:
        return DEFAULT_SCRYPT_LOG2N
    return parse_whole_number(text, "AWSAFE_FILE_SCRYPT_LOG2N", MIN_SCRYPT_LOG2N, MAX_SCRYPT_LOG2N)


def open_vault(options: GlobalOptions, env: Environment) -> Store:
    from awsafe.vault.select import open_store

    backend = options.backend or env.get("AWSAFE_BACKEND", "AWS_VAULT_BACKEND")
    file_dir = options.file_dir or env.get("AWSAFE_FILE_DIR", "AWS_VAULT_FILE_DIR")
    directory = Path(file_dir).expanduser() if file_dir else state_dir(env) / "vault"
    store = open_store(
        backend,
        file_dir=directory,
        passphrase=lambda: _passphrase_source(env),
        state_dir=state_dir(env),
        scrypt_log2n=_scrypt_log2n(env),
    )
    log.debug("vault backend: %s", store.name)
    return store


def session_options(env: Mapping[str, str], *, duration: str | None, no_session: bool) -> SessionOptions:
    def ttl(name: str, default: dt.timedelta) -> dt.timedelta:
        value = env.get(name)
        return parse_duration(value, name) if value else default

    defaults = SessionOptions()
    return SessionOptions(
        duration=_checked_duration(duration) if duration else None,
        no_session=no_session,
        session_token_ttl=ttl("AWS_SESSION_TOKEN_TTL", defaults.session_token_ttl),
        chained_session_token_ttl=ttl("AWS_CHAINED_SESSION_TOKEN_TTL", defaults.chained_session_token_ttl),
        federation_token_ttl=ttl("AWS_FEDERATION_TOKEN_TTL", defaults.federation_token_ttl),
        assume_role_ttl=parse_duration(env["AWS_ASSUME_ROLE_TTL"], "AWS_ASSUME_ROLE_TTL")
        if env.get("AWS_ASSUME_ROLE_TTL")
        else None,
    )


@dataclasses.dataclass(frozen=True)
class CredentialRequest:
    """What `exec`/`export` ask for: one profile and the flags shaping its sessions."""

    profile: str
    region: str | None = None
    duration: str | None = None
    no_session: bool = False
    mfa_token: str | None = dataclasses.field(default=None, repr=False)
    server_running: bool = False
    fast_path_key: str = ""  # the fast path record's name, taken before the config is read


def session_cache(store: Store, env: Environment, keys: StoredKeys | None = None) -> SessionCache:
    """The cache of temporary credentials inside ``store``, with its cross-process locks.

    ``keys``: the StoredKeys the fetches read, so each session is bound to the keys it used.
    """
    return SessionCache(store, locks_for(env), env.clock, min_ttl(env), keys)


def min_ttl(env: Environment) -> dt.timedelta:
    """AWS_MIN_TTL: credentials with less life left are refreshed (default 5 minutes)."""
    return parse_min_ttl(env.environ)


def mfa_codes(options: GlobalOptions, env: Environment, request: CredentialRequest) -> MfaCodes:
    """Ask for MFA codes the way the user chose; the choice is made on the first question only."""
    chosen: list[Callable[[MfaRequest], str]] = []

    def ask(profile: str, serial: str, process: str | None) -> str:
        from awsafe.prompts.mfa import choose_mfa_source
        from awsafe.prompts.request import MfaRequest

        if not chosen:
            chosen.append(
                choose_mfa_source(
                    token=request.mfa_token,
                    driver=options.prompt or env.get("AWSAFE_PROMPT", "AWS_VAULT_PROMPT"),
                    environ=env.environ,
                    server_running=request.server_running,
                )
            )
        return chosen[0](MfaRequest(profile=profile, serial=serial, mfa_process=process))

    return ask


def load_profile_chain(env: Environment, request: CredentialRequest) -> list[ProfileConfig]:
    """The chain of profiles ``request`` names, read from the config file."""
    config = read_config(env)
    return resolve_chain(config, request.profile, env.environ, Overrides(region=request.region))


def build_provider(
    options: GlobalOptions,
    env: Environment,
    chain: list[ProfileConfig],
    request: CredentialRequest,
    store: Store | None = None,
) -> Provider:
    if request.duration and request.no_session and not chain[0].role_arn:
        raise UsageError("--duration has no effect with --no-session for a profile without a role")
    from awsafe.wiring.sso import sso_providers

    store = store or open_vault(options, env)
    keys = StoredKeys(store)
    builder = ChainBuilder(
        keys,
        session_options(env.environ, duration=request.duration, no_session=request.no_session),
        endpoint_for_profile(env.environ),
        env.clock,
        cache=session_cache(store, env, keys),
        mfa=mfa_codes(options, env, request),
        sso=sso_providers(store, env),
    )
    provider = builder.build(chain)
    log.debug("credentials: %s", provider.describe())
    return provider


def remember_for_fast_path(
    options: GlobalOptions,
    env: Environment,
    request: CredentialRequest,
    store: Store,
    provider: Provider,
    credentials: Credentials,
    region: str | None,
) -> None:
    """Tell the fast path where this request's session lives, when a plain call could find it again.

    The record is sealed with the ``credentials`` just served (the session in that item), so a
    record moved or edited makes the fast path decline.
    """
    from awsafe.credentials.cache import CachedProvider
    from awsafe.credentials.record import PREFIX

    plain = not (
        request.region or request.duration or request.no_session or options.backend or options.file_dir
    )
    if not plain or not request.fast_path_key or not isinstance(provider, CachedProvider):
        return
    from awsafe.credentials.fastpath import render_fast_path_seal, write_fast_path_record

    location = {"backend": store.name, **store.location()}
    record: dict[str, object] = {
        "item": PREFIX + provider.key.name,
        "digest": provider.key.digest,
        "region": region,
        **location,
    }
    seal = render_fast_path_seal(request.fast_path_key, record, credentials.secret_access_key)
    write_fast_path_record(request.fast_path_key, env.environ, {**record, "seal": seal})
