"""`awsafe export`: print temporary credentials (env, export-env, ini, or credential_process json)."""

from __future__ import annotations

import argparse

from awsafe.cli.execute import credential_request, refuse_nesting
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.render import FORMATS, render
from awsafe.wiring import (
    GlobalOptions,
    build_provider,
    load_profile_chain,
    open_vault,
    remember_for_fast_path,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument(
        "--format",
        default="env",
        choices=FORMATS,
        help="env, export-env, ini, or json (the credential_process format)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    if tail:
        raise UsageError("export takes no command; did you mean exec?")
    refuse_nesting(env)
    request = credential_request(args, env)
    chain = load_profile_chain(env, request)
    store = open_vault(options, env)
    provider = build_provider(options, env, chain, request, store)
    credentials = provider.retrieve()
    remember_for_fast_path(options, env, request, store, provider, credentials, chain[0].region)
    env.stdout.write(render(args.format, credentials, chain[0].region, request.profile))
    env.stdout.flush()
    return ExitCode.OK
