"""`awsafe clear`: delete cached sessions and SSO tokens, of one profile's chain or all of them."""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.config.resolve import resolve_chain
from awsafe.credentials.cache import SessionKey
from awsafe.environment import Environment
from awsafe.errors import ConfigError, ExitCode, UsageError
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault


@dataclasses.dataclass(frozen=True)
class ClearOptions:
    """What `clear` was asked: one profile's sessions, or (None) all of them."""

    profile: str | None = None
    tail: tuple[str, ...] = ()  # words after '--': clear runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ClearOptions:
        return cls(profile=args.profile, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("clear takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="clear only what this profile uses (default: all)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    clear_options = ClearOptions.from_args(args, tail, env)
    clear_options.validate(env, options)
    return clear_sessions(clear_options, options, env)


def clear_sessions(clear_options: ClearOptions, options: GlobalOptions, env: Environment) -> int:
    """Delete the cached sessions and SSO tokens of the profile's chain, or all of them."""
    from awsafe.sso.settings import SsoSession, session_of
    from awsafe.sso.store import SsoTokenStore

    profile = clear_options.profile
    sources: set[str] = set()
    serial: str | None = None
    sso: list[SsoSession] = []
    if profile is not None:
        # Resolved before the vault is opened: a profile that does not resolve is reported
        # (a cleanup that silently skipped its MFA session and SSO token would claim success).
        try:
            chain = resolve_chain(read_config(env), profile, env.environ)
        except ConfigError as e:
            e.hint = e.hint or "fix it, or run `awsafe clear` to delete every cached session"
            raise
        sources = {p.name for p in chain[1:]}
        serial = chain[0].mfa_serial
        sso = [session_of(p) for p in chain if p.has_sso]
    store = open_vault(options, env)
    cache = session_cache(store, env)
    tokens = SsoTokenStore(store)
    if profile is None:
        deleted = cache.clear()
        signed_out = tokens.clear()
    else:
        # The profile's own sessions and those derived from it, plus the MFA session its
        # chain uses (GetSessionToken of a source with this profile's serial), so that the
        # next run needs a new code. Other sessions of its sources stay.

        def matches(key: SessionKey) -> bool:
            if profile in key.chain:
                return True
            return (
                key.kind == "session-token"
                and key.profile in sources
                and serial is not None
                and (key.mfa_serial == serial)
            )

        deleted = cache.clear(matches)
        signed_out = sum(tokens.delete_token(session) for session in sso)
    env.stderr.write(f"Cleared {deleted} cached session{'s' if deleted != 1 else ''}\n")
    if signed_out:
        env.stderr.write(f"Forgot {signed_out} IAM Identity Center token{'s' if signed_out != 1 else ''}\n")
    return ExitCode.OK
