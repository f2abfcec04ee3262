"""`awsafe sso login|logout|populate`: IAM Identity Center sessions by hand, and profiles for them."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from awsafe.config.parse import ConfigFile
from awsafe.config.resolve import resolve_profile
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.model import format_rfc3339
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import config_file_path, read_config
from awsafe.wiring.sso import SignInFlags, fetch_account_roles, sso_tokens
from awsafe.wiring.vault import open_vault

if TYPE_CHECKING:
    from awsafe.sso.settings import SsoSession


@dataclasses.dataclass(frozen=True)
class SsoOptions:
    """What every `sso` action was asked: a profile or an sso-session (else the only one, or
    $AWS_PROFILE's); each action's options add its own flags."""

    profile: str | None = None
    sso_session: str | None = None
    tail: tuple[str, ...] = ()  # words after '--': sso runs no command

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("sso takes no command")
        if self.sso_session and self.profile:
            raise UsageError("give a profile or --sso-session, not both")


@dataclasses.dataclass(frozen=True)
class SsoLoginOptions(SsoOptions):
    """`sso login`: and how the sign-in page is shown."""

    device_code: bool = False
    no_browser: bool = False
    to_stdout: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> SsoLoginOptions:
        return cls(
            profile=args.profile,
            sso_session=args.sso_session,
            tail=tuple(tail),
            device_code=args.device_code,
            no_browser=args.no_browser,
            to_stdout=args.stdout,
        )


@dataclasses.dataclass(frozen=True)
class SsoLogoutOptions(SsoOptions):
    """`sso logout`: no flags of its own; neither target means every stored session."""

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> SsoLogoutOptions:
        return cls(profile=args.profile, sso_session=args.sso_session, tail=tuple(tail))


@dataclasses.dataclass(frozen=True)
class SsoPopulateOptions(SsoOptions):
    """`sso populate`: and where the profiles go, their name prefix and region."""

    write: bool = False
    prefix: str = ""
    region: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> SsoPopulateOptions:
        return cls(
            profile=args.profile,
            sso_session=args.sso_session,
            tail=tuple(tail),
            write=args.write,
            prefix=args.prefix,
            region=args.region,
        )


def configure(
    parser: argparse.ArgumentParser, global_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    actions = parser.add_subparsers(dest="sso_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        global_flags(sub)
        _target(sub)
        return sub

    login = action("login", "Sign in to an sso-session (or a profile's)")
    login.add_argument("--device-code", action="store_true", help="use the device-code flow")
    login.add_argument("--no-browser", action="store_true", help="print the URL instead of opening it")
    login.add_argument("--stdout", action="store_true", help="print the URL and code on stdout")
    login.set_defaults(run=run_login)

    logout = action("logout", "Sign out and forget the token (default: of every session)")
    logout.set_defaults(run=run_logout)

    populate = action("populate", "Profiles for every account and role of an sso-session")
    populate.add_argument("--write", action="store_true", help="append them to the config file")
    populate.add_argument("--prefix", default="", metavar="TEXT", help="put TEXT before every profile name")
    populate.add_argument("--region", metavar="REGION", help="region of new profiles (default: sso_region)")
    populate.set_defaults(run=run_populate)


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="an SSO profile; its session is used")
    parser.add_argument("--sso-session", metavar="NAME", help="an [sso-session NAME] of the config")


def _session(sso_options: SsoOptions, env: Environment, config: ConfigFile) -> SsoSession:
    """The session named, or the named profile's (validate() refused both), else $AWS_PROFILE's,
    else the config's only one."""
    from awsafe.sso.settings import named_session, session_of

    if sso_options.sso_session:
        return named_session(config, sso_options.sso_session)
    profile_name = sso_options.profile or env.get("AWS_PROFILE")
    if profile_name:
        profile = resolve_profile(config, profile_name, env.environ)
        if not profile.has_sso:
            raise UsageError(
                f"profile {profile_name!r} has no IAM Identity Center settings ({profile.where})"
            )
        return session_of(profile)
    names = list(config.sso_sessions)
    if len(names) == 1:
        return named_session(config, names[0])
    raise UsageError(
        "say which session: --sso-session NAME or an SSO profile",
        hint=f"sessions in the config: {', '.join(names)}" if names else None,
    )


def run_login(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    login_options = SsoLoginOptions.from_args(args, tail, env)
    login_options.validate(env, options)
    return sso_login(login_options, options, env)


def sso_login(login_options: SsoLoginOptions, options: GlobalOptions, env: Environment) -> int:
    """Sign in to the session anew (a browser or device code), and store its token."""
    session = _session(login_options, env, read_config(env))
    flags = SignInFlags(
        device_code=login_options.device_code,
        no_browser=login_options.no_browser,
        to_stdout=login_options.to_stdout,
    )
    token = sso_tokens(open_vault(options, env), env, flags).renew(session, force_sign_in=True)
    refresh = "; refreshable" if token.can_refresh else ""
    env.stderr.write(
        f"Signed in to {session.describe()}; the token is valid until {format_rfc3339(token.expires_at)}"
        f"{refresh}\n"
    )
    return ExitCode.OK


def run_logout(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    logout_options = SsoLogoutOptions.from_args(args, tail, env)
    logout_options.validate(env, options)
    return sso_logout(logout_options, options, env)


def sso_logout(logout_options: SsoLogoutOptions, options: GlobalOptions, env: Environment) -> int:
    """Sign out of the session named (default: of every stored one) and forget its token."""
    store = open_vault(options, env)
    tokens = sso_tokens(store, env)
    if logout_options.profile or logout_options.sso_session:
        sessions = [_session(logout_options, env, read_config(env))]
    else:
        from awsafe.sso.store import SsoTokenStore

        sessions = [stored.session for stored in SsoTokenStore(store).tokens()]
    for session in sessions:
        if tokens.logout(session):
            env.stderr.write(f"Signed out of {session.describe()}\n")
        else:
            env.stderr.write(f"Not signed in to {session.describe()}\n")
    if not sessions:
        env.stderr.write("Not signed in to any IAM Identity Center session\n")
    return ExitCode.OK


_UNSAFE = re.compile(r"[^A-Za-z0-9_.+@-]+")


def profile_name(prefix: str, account_name: str, account_id: str, role: str) -> str:
    """``<prefix><account name or id>-<role>``, with anything unusable in a section name as ``-``."""
    base = _UNSAFE.sub("-", f"{account_name or account_id}-{role}").strip("-")
    return f"{prefix}{base}"


def run_populate(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    populate_options = SsoPopulateOptions.from_args(args, tail, env)
    populate_options.validate(env, options)
    return sso_populate(populate_options, options, env)


def sso_populate(populate_options: SsoPopulateOptions, options: GlobalOptions, env: Environment) -> int:
    """Print (or with --write, append) a profile for every account and role the session may use."""
    from awsafe.config.edit import append_sections, profile_header, render_sections

    config = read_config(env)
    session = _session(populate_options, env, config)
    tokens = sso_tokens(open_vault(options, env), env)
    account_roles = fetch_account_roles(tokens, session)
    existing = _existing_roles(config)
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for account, role in account_roles:
        name = profile_name(populate_options.prefix, account.name, account.account_id, role)
        if (account.account_id, role) in existing.get(session.cache_name, set()) or (name in config.profiles):
            continue
        values = (
            [("sso_session", session.name)]
            if session.name
            else [("sso_start_url", session.start_url), ("sso_region", session.region)]
        )
        values += [
            ("sso_account_id", account.account_id),
            ("sso_role_name", role),
            ("region", populate_options.region or session.region),
        ]
        sections.append((profile_header(name), values))
    if not sections:
        env.stderr.write("Every account and role already has a profile; nothing to add\n")
        return ExitCode.OK
    if populate_options.write:
        append_sections(config_file_path(env), sections)
        env.stderr.write(f"Added {len(sections)} profile(s) to {config_file_path(env)}\n")
    else:
        env.stdout.write(render_sections(sections))
    return ExitCode.OK


def _existing_roles(config: ConfigFile) -> dict[str, set[tuple[str, str]]]:
    """(account, role) pairs that already have a profile, per session: populate adds no second one."""
    found: dict[str, set[tuple[str, str]]] = {}
    for name in config.profiles:
        section = config.profiles[name]
        account, role = section.values.get("sso_account_id"), section.values.get("sso_role_name")
        if not (account and role):
            continue
        key = section.values.get("sso_session") or section.values.get("sso_start_url")
        if key:
            found.setdefault(key, set()).add((account, role))
    return found
