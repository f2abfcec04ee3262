"""`awsafe use PROFILE`: the program side of the shell function `awsafe init` installs; prints the
statements that give the calling shell a profile's credentials (docs/commands/use.md).

The function calls `awsafe use --shell SHELL --parent-pid PID ...` and evaluates what is
printed; the change is the one exec makes to its child's environment (awsafe.childenv), so a
`use`d shell holds exactly what `awsafe exec PROFILE` would have given a program. Without
``--shell`` (run directly, not through the function) nothing is fetched: a one-line hint.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from awsafe.childenv import (
    USE_ENDPOINT,
    USE_MARKER,
    render_child_environment,
    render_server_child_environment,
    resolve_shell_change,
    resolve_unset_change,
)
from awsafe.cli.execute import credential_request, refuse_nesting, stdout_flag
from awsafe.cli.picker import choose_profile
from awsafe.cli.serve import ECS_VARIABLES
from awsafe.durations import parse_whole_number
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.shell.statements import SHELLS, Change, render_statements, resolve_shell
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest, GlobalOptions

NEEDS_FUNCTION = (
    "use changes your shell and needs its function: first run "
    'eval "$(awsafe init bash)" (or zsh, fish, pwsh, nu; see awsafe init --help)'
)


@dataclasses.dataclass(frozen=True)
class UseOptions:
    """What `use` was asked: the credential request (or --unset), the calling shell, --refresh."""

    request: CredentialRequest
    shell: str | None = None  # given by the function; None when run directly
    profile_given: bool = True
    unset: bool = False
    refresh: bool = False
    parent_pid: int | None = None  # the shell's process, which --refresh's endpoint outlives not
    tail: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> UseOptions:
        return cls(
            request=credential_request(args, env, server_running=args.refresh, sign_in_without_browser=True),
            shell=args.shell,
            profile_given=bool(args.profile),
            unset=args.unset,
            refresh=args.refresh,
            parent_pid=args.parent_pid,
            tail=tuple(tail),
        )

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.shell is None:
            raise UsageError(NEEDS_FUNCTION)
        if resolve_shell(self.shell) is None:
            raise UsageError(f"--shell must be one of {', '.join(SHELLS)}")
        if self.tail:
            raise UsageError("use takes no command; to run one, use: awsafe exec PROFILE -- CMD")
        if self.unset:
            if self.profile_given or self.refresh:
                raise UsageError("--unset takes no profile and no --refresh")
            return  # removing credentials is fine anywhere, a credential subshell included
        if self.refresh and self.parent_pid is None:
            raise UsageError("--refresh needs the shell's process id (--parent-pid); the function gives it")
        if self.refresh and self.request.no_session:
            raise UsageError("--refresh cannot be combined with --no-session")
        refuse_nesting(env)


class _HelpOnStderr(argparse.Action):
    """-h/--help on stderr: the function evaluates whatever reaches stdout."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show this help message and exit"
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.print_help(sys.stderr)
        parser.exit()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        'Through the shell function only: eval "$(awsafe init bash)" (zsh, fish, pwsh, nu: '
        "see awsafe init --help), then: awsafe use PROFILE; awsafe use --unset."
    )
    parser.add_argument("-h", "--help", action=_HelpOnStderr)
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument("--unset", action="store_true", help="remove every variable use sets")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="point the shell at its own ECS endpoint, which refreshes the credentials for as long "
        "as the shell lives (no keys in the shell)",
    )
    parser.add_argument("--shell", help=argparse.SUPPRESS)
    parser.add_argument(
        "--parent-pid",
        dest="parent_pid",
        type=lambda text: parse_whole_number(text, "--parent-pid", 1, 2**31 - 1),
        help=argparse.SUPPRESS,
    )
    stdout_flag(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    use_options = UseOptions.from_args(args, tail, env)
    use_options.validate(env, options)
    if not use_options.unset:
        picked = choose_profile(use_options.request, use_options.profile_given, env)
        use_options = dataclasses.replace(use_options, request=picked)
    return use_profile(use_options, options, env)


def use_profile(use_options: UseOptions, options: GlobalOptions, env: Environment) -> int:
    """Print the shell's statements; a former --refresh endpoint of this shell is stopped once
    the new credentials are there (a failed switch leaves the shell as it was)."""
    shell = resolve_shell(use_options.shell or "") or "bash"
    if use_options.unset:
        change = resolve_unset_change(ECS_VARIABLES)
    elif use_options.refresh:
        change = _refreshing_change(use_options, options, env)
    else:
        change = _static_change(use_options, options, env)
    former = env.environ.get(USE_ENDPOINT)
    if former:
        from awsafe.cli.shellendpoint import stop_shell_endpoint

        stop_shell_endpoint(former)
    env.stdout.write(render_statements(shell, change))
    env.stdout.flush()
    return ExitCode.OK


def _static_change(use_options: UseOptions, options: GlobalOptions, env: Environment) -> Change:
    request = use_options.request
    answer = Engine(options, env).credentials(request)
    child = render_child_environment(
        env.environ, request.profile, answer.credentials, answer.region, answer.account_id
    )
    child[USE_MARKER] = request.profile
    if env.environ.get(USE_ENDPOINT):
        # the variables of the shell's former --refresh endpoint (stopped next) are use's, not the
        # user's: they go with it
        for name in ECS_VARIABLES:
            child.pop(name, None)
    return resolve_shell_change(env.environ, child)


def _refreshing_change(use_options: UseOptions, options: GlobalOptions, env: Environment) -> Change:
    from awsafe.cli.shellendpoint import start_shell_endpoint

    request = use_options.request
    engine = Engine(options, env)
    chain = engine.profile_chain(request)
    provider = engine.provider(chain, request)
    assert use_options.parent_pid is not None  # validate() refused --refresh without it
    variables, endpoint_id = start_shell_endpoint(env, provider, chain[0], use_options.parent_pid)
    child = render_server_child_environment(env.environ, request.profile, chain[0].region, variables)
    child[USE_MARKER] = request.profile
    if endpoint_id:
        child[USE_ENDPOINT] = endpoint_id
    return resolve_shell_change(env.environ, child)
