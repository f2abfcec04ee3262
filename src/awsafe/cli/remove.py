"""`awsafe remove`: delete the stored keys of a profile after confirmation."""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, NoCredentialsError, UsageError
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault


@dataclasses.dataclass(frozen=True)
class RemoveOptions:
    """What `remove` was asked: the profile, and whether to skip the confirmation."""

    profile: str
    force: bool = False
    tail: tuple[str, ...] = ()  # words after '--': remove runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> RemoveOptions:
        return cls(profile=args.profile, force=args.force, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("remove takes no command")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    remove_options = RemoveOptions.from_args(args, tail, env)
    remove_options.validate(env, options)
    return remove_keys(remove_options, options, env)


def remove_keys(remove_options: RemoveOptions, options: GlobalOptions, env: Environment) -> int:
    """Delete the profile's keys (after a yes unless forced) and the sessions made from them."""
    profile = remove_options.profile
    store = open_vault(options, env)
    keys = StoredKeys(store)
    if not keys.has(profile):
        raise NoCredentialsError(f"no credentials stored for profile {profile!r} in the {keys.backend} vault")
    if not remove_options.force:
        from awsafe.prompts.terminal import ask_text

        answer = ask_text(f'Delete credentials for profile "{profile}"? (y/N) ', fallback=env.stdin)
        if answer.strip().lower() not in ("y", "yes"):
            env.stderr.write("Nothing deleted\n")
            return ExitCode.OK
    keys.delete(profile)
    session_cache(store, env).clear_derived_from([profile])
    env.stderr.write(f"Deleted credentials of profile {profile!r}\n")
    return ExitCode.OK
