"""`awsafe export`: print temporary credentials (env, export-env, ini, or credential_process json)."""

from __future__ import annotations

import argparse

from awsafe.cli.execute import credential_request, refuse_nesting
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.render import FORMATS, render
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import GlobalOptions


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
    answer = Engine(options, env).credentials(request)
    env.stdout.write(render(args.format, answer.credentials, answer.region, request.profile))
    env.stdout.flush()
    return ExitCode.OK
