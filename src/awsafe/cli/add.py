"""`awsafe add`: store the long-term keys of a profile; secrets only from a prompt or the environment."""

from __future__ import annotations

import argparse
import dataclasses
import re

from awsafe.config.edit import append_profile_section, check_profile_name
from awsafe.config.resolve import resolve_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ConfigError, ExitCode, UsageError
from awsafe.model import Credentials, redact
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.provider import config_file_path, read_config
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault

ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


@dataclasses.dataclass(frozen=True)
class AddOptions:
    """What `add` was asked: the profile, where the keys come from, whether to touch the config."""

    profile: str
    from_env: bool = False
    add_config: bool = True
    tail: tuple[str, ...] = ()  # words after '--': add runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> AddOptions:
        return cls(profile=args.profile, from_env=args.env, add_config=args.add_config, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("add takes no command; secrets are never read from arguments")
        check_profile_name(self.profile)  # before anything is stored under it
        if self.from_env:
            if not env.get("AWS_ACCESS_KEY_ID") or not env.get("AWS_SECRET_ACCESS_KEY"):
                raise UsageError("--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set")
            if env.get("AWS_SESSION_TOKEN"):
                raise UsageError("AWS_SESSION_TOKEN is set: awsafe add stores long-term keys only")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name")
    parser.add_argument(
        "--env",
        action="store_true",
        help="take AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment",
    )
    parser.add_argument(
        "--add-config",
        dest="add_config",
        action="store_true",
        default=True,
        help="add [profile NAME] to the config file if missing (default)",
    )
    parser.add_argument(
        "--no-add-config",
        dest="add_config",
        action="store_false",
        help="leave the config file alone",
    )
    parser.set_defaults(run=run)


def _check_key_id(key_id: str) -> None:
    if not ACCESS_KEY_ID.match(key_id):
        raise UsageError(
            f"{key_id[:4]}... is not an access key id (expected e.g. AKIA followed by 16 characters)"
        )


def _read_keys(add_options: AddOptions, env: Environment) -> Credentials:
    """The keys from the environment (present: validate() checked) or typed at the terminal."""
    if add_options.from_env:
        key_id = env.get("AWS_ACCESS_KEY_ID") or ""
        secret = env.get("AWS_SECRET_ACCESS_KEY") or ""
    else:
        from awsafe.prompts.terminal import ask_secret, ask_text

        key_id = ask_text("Enter Access Key ID: ", fallback=env.stdin).strip()
        # Before the secret is asked: a mistyped key id must not cost the user typing it.
        _check_key_id(key_id)
        secret = ask_secret("Enter Secret Access Key: ", fallback=env.stdin).strip()
    _check_key_id(key_id)
    if not secret:
        raise UsageError("the secret access key is empty")
    return Credentials(access_key_id=key_id, secret_access_key=secret)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    add_options = AddOptions.from_args(args, tail, env)
    add_options.validate(env, options)
    return add_keys(add_options, options, env)


def add_keys(add_options: AddOptions, options: GlobalOptions, env: Environment) -> int:
    """Store the keys under the profile, forget its old sessions, add its config section if asked."""
    profile = add_options.profile
    config = read_config(env)
    section = config.profiles.get(profile)
    resolved = resolve_profile(config, profile, {})
    if resolved.source_profile is not None:
        raise ConfigError(
            f"{resolved.where}: profile {profile!r} gets its credentials from source_profile "
            f"{resolved.source_profile!r}; add keys to that profile instead"
        )
    credentials = _read_keys(add_options, env)
    store = open_vault(options, env)
    keys = StoredKeys(store)
    keys.set(profile, credentials)
    session_cache(store, env).clear_derived_from([profile])  # sessions of the old keys
    env.stderr.write(
        f"Added credentials {redact(credentials.access_key_id)} to profile {profile!r} "
        f"in the {keys.backend} vault\n"
    )
    if add_options.add_config and section is None:
        path = config_file_path(env)
        append_profile_section(path, profile)
        env.stderr.write(f"Added [profile {profile}] to {path}\n")
    return ExitCode.OK
