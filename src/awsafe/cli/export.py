"""`awsafe export`: print temporary credentials (env, export-env, ini, or credential_process json)."""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.cli.execute import credential_request, refuse_nesting, stdout_flag
from awsafe.cli.picker import choose_profile
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.render import FORMATS, render
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest, GlobalOptions


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """What `export` was asked: the credential request and the output format."""

    request: CredentialRequest
    format: str = "env"
    tail: tuple[str, ...] = ()  # words after '--': export runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ExportOptions:
        return cls(
            request=credential_request(args, env, sign_in_without_browser=True),
            format=args.format,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("export takes no command; did you mean exec?")
        refuse_nesting(env)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument(
        "--format",
        default="env",
        choices=FORMATS,
        help="env, export-env, ini, or json (the credential_process format)",
    )
    stdout_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    export_options = ExportOptions.from_args(args, tail, env)
    export_options.validate(env, options)
    picked = choose_profile(export_options.request, bool(args.profile), env)
    export_options = dataclasses.replace(export_options, request=picked)
    return export_credentials(export_options, options, env)


def export_credentials(export_options: ExportOptions, options: GlobalOptions, env: Environment) -> int:
    """Print the credentials in the asked format (the fast path record is written too)."""
    request = export_options.request
    answer = Engine(options, env).credentials(request)
    text = render(
        export_options.format, answer.credentials, answer.region, request.profile, answer.account_id
    )
    env.stdout.write(text)
    env.stdout.flush()
    return ExitCode.OK
