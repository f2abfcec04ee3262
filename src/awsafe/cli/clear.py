"""`awsafe clear`: delete cached sessions, of one profile's chain or all of them."""

from __future__ import annotations

import argparse
import contextlib

from awsafe.config.resolve import resolve_chain
from awsafe.environment import Environment
from awsafe.errors import AwsafeError, ExitCode, UsageError
from awsafe.wiring import GlobalOptions, open_vault, read_config, session_cache


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="clear only what this profile uses (default: all)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("clear takes no command")
    cache = session_cache(open_vault(options, env), env)
    if args.profile is None:
        deleted = cache.clear()
    else:
        # The profile's own sessions, those derived from it, and the sessions its chain
        # uses (such as the MFA session of its source): afterwards it needs a new code.
        names = {args.profile}
        with contextlib.suppress(AwsafeError):  # a broken config must not stop a cleanup
            names.update(p.name for p in resolve_chain(read_config(env), args.profile, env.environ))
        deleted = cache.clear(lambda key: key.profile in names or args.profile in key.chain)
    env.stderr.write(f"Cleared {deleted} cached session{'s' if deleted != 1 else ''}\n")
    return ExitCode.OK
