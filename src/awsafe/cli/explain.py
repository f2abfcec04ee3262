"""`awsafe explain PROFILE`: how a profile resolves and what a run of it would do, without doing it.

Shows the chain, every setting's file:line, the session the rules choose and why, the calls a
cache miss would make, what is cached, and where aws-vault or the AWS CLI differ. It reads the
config and, when that needs no prompt, the vault; it never fetches, prompts or prints a secret.
"""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring.options import CredentialRequest, GlobalOptions, checked_duration

DURATION_VARIABLES = ("AWSAFE_DURATION", "AWS_VAULT_DURATION")


@dataclasses.dataclass(frozen=True)
class ExplainOptions:
    """What `explain` was asked: the profile (default $AWS_PROFILE, then default), the flags that
    shape its sessions as they would `exec`'s, and the output format."""

    request: CredentialRequest
    json: bool = False
    tail: tuple[str, ...] = ()  # words after '--': explain runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ExplainOptions:
        profile = args.profile or env.get("AWS_PROFILE") or "default"
        request = CredentialRequest(
            profile=profile,
            region=args.region,
            duration=args.duration or env.get(*DURATION_VARIABLES),
            no_session=args.no_session,
        )
        return cls(request=request, json=args.json, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("explain takes no command; to run one, use: awsafe exec PROFILE -- CMD")
        if self.request.duration:
            checked_duration(self.request.duration)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE, then default)")
    parser.add_argument("--json", action="store_true", help="print a JSON document instead of text")
    parser.add_argument(
        "-d",
        "--duration",
        metavar="DURATION",
        help="explain as if run with this --duration (env AWSAFE_DURATION / AWS_VAULT_DURATION)",
    )
    parser.add_argument("-n", "--no-session", action="store_true", help="explain as if run with --no-session")
    parser.add_argument("--region", metavar="REGION", help="explain as if run with this region")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    explain_options = ExplainOptions.from_args(args, tail, env)
    explain_options.validate(env, options)
    return explain(explain_options, options, env)


def explain(explain_options: ExplainOptions, options: GlobalOptions, env: Environment) -> int:
    from awsafe.explain.render import render_json, render_text
    from awsafe.wiring.explain import explain_request

    explanation = explain_request(options, env, explain_options.request)
    env.stdout.write(render_json(explanation) if explain_options.json else render_text(explanation))
    return ExitCode.OK
