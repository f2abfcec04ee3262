"""`awsafe list`: profiles from the config, keys stored in the vault, and sessions."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Literal

from awsafe.config.parse import ConfigFile
from awsafe.credentials.cache import CachedSession
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault

if TYPE_CHECKING:
    from awsafe.sso.store import StoredToken

Only = Literal["profiles", "sessions", "credentials"]


@dataclasses.dataclass(frozen=True)
class ListOptions:
    """What `list` was asked: everything, or only one of its parts (argparse allows one at most)."""

    only: Only | None = None
    tail: tuple[str, ...] = ()  # words after '--': list runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ListOptions:
        only: Only | None = (
            "profiles"
            if args.profiles
            else "sessions"
            if args.sessions
            else "credentials"
            if args.credentials
            else None
        )
        return cls(only=only, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("list takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--profiles", action="store_true", help="only the profile names")
    only.add_argument("--sessions", action="store_true", help="only the sessions")
    only.add_argument("--credentials", action="store_true", help="only profiles with stored keys")
    parser.set_defaults(run=run)


def keys_owner(config: ConfigFile, name: str, stored: set[str]) -> str | None:
    """The profile whose stored keys a chain starting at ``name`` uses, as `exec` would."""
    seen: set[str] = set()
    current: str | None = name
    while current is not None and current not in seen:
        if current in stored:
            return current
        seen.add(current)
        section = config.profiles.get(current)
        current = section.values.get("source_profile") if section else None
    return None


def _left(expires_at: dt.datetime | None, now: dt.datetime) -> str:
    if expires_at is None or expires_at <= now:
        return "expired"
    minutes = int((expires_at - now).total_seconds() // 60)
    return (f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m") + " left"


def render_session(session: CachedSession, now: dt.datetime) -> str:
    """``assume-role (mfa) 57m left`` or ``... expired``."""
    key = session.key
    mfa = " (mfa)" if key.mfa_serial else ""
    return f"{key.kind}{mfa} {_left(session.credentials.expires_at, now)}"


def render_tokens(tokens: list[StoredToken], now: dt.datetime) -> str:
    """One line per IAM Identity Center sign-in: ``sso-session corp  sso-token 7h59m left``."""
    return "".join(
        f"{'sso-session ' + t.session_name if t.session_name else t.start_url}\tsso-token "
        f"{_left(t.expires_at, now)}\n"
        for t in tokens
    )


def render_table(rows: list[tuple[str, str, str]]) -> str:
    header = ("Profile", "Credentials", "Sessions")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, tuple("=" * w for w in widths), *rows]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    list_options = ListOptions.from_args(args, tail, env)
    list_options.validate(env, options)
    return list_vault(list_options, options, env)


def list_vault(list_options: ListOptions, options: GlobalOptions, env: Environment) -> int:
    """Print the profiles, the stored keys and the sessions (or only the part asked for)."""
    config = read_config(env)
    if list_options.only == "profiles":
        env.stdout.write("".join(f"{name}\n" for name in config.profiles))
        return ExitCode.OK
    store = open_vault(options, env)
    now = env.clock()
    sessions = session_cache(store, env).sessions()
    from awsafe.sso.store import SsoTokenStore

    tokens = SsoTokenStore(store).tokens()
    if list_options.only == "sessions":
        env.stdout.write("".join(f"{s.key.profile}\t{render_session(s, now)}\n" for s in sessions))
        env.stdout.write(render_tokens(tokens, now))
        return ExitCode.OK
    stored = StoredKeys(store).profiles()
    if list_options.only == "credentials":
        env.stdout.write("".join(f"{name}\n" for name in stored))
        return ExitCode.OK
    labels: dict[str, list[str]] = {}
    for session in sessions:
        labels.setdefault(session.key.profile, []).append(render_session(session, now))
    rows = [
        (name, keys_owner(config, name, set(stored)) or "-", ", ".join(labels.get(name, [])) or "-")
        for name in config.profiles
    ]
    rows += [
        ("-", name, ", ".join(labels.get(name, [])) or "-") for name in stored if name not in config.profiles
    ]
    env.stdout.write(render_table(rows))
    if tokens:
        env.stdout.write("\nIAM Identity Center sign-ins:\n" + render_tokens(tokens, now))
    return ExitCode.OK
