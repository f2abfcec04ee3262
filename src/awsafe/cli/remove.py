"""`awsafe remove`: delete the stored keys of a profile after confirmation."""

from __future__ import annotations

import argparse

from awsafe.credentials.stored import StoredKeys
from awsafe.environment import Environment
from awsafe.errors import ExitCode, NoCredentialsError, UsageError
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.sessions import session_cache
from awsafe.wiring.vault import open_vault


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("remove takes no command")
    profile = args.profile
    store = open_vault(options, env)
    keys = StoredKeys(store)
    if not keys.has(profile):
        raise NoCredentialsError(f"no credentials stored for profile {profile!r} in the {keys.backend} vault")
    if not args.force:
        from awsafe.prompts.terminal import ask_text

        answer = ask_text(f'Delete credentials for profile "{profile}"? (y/N) ', fallback=env.stdin)
        if answer.strip().lower() not in ("y", "yes"):
            env.stderr.write("Nothing deleted\n")
            return ExitCode.OK
    keys.delete(profile)
    session_cache(store, env).clear_derived_from([profile])
    env.stderr.write(f"Deleted credentials of profile {profile!r}\n")
    return ExitCode.OK
