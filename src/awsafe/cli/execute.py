"""`awsafe exec`: run a program with temporary credentials, replacing this process."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from awsafe.childenv import USE_MARKER, render_child_environment
from awsafe.cli.picker import choose_profile
from awsafe.environment import Environment
from awsafe.errors import CommandError, ExitCode, UsageError
from awsafe.process_guard import make_undumpable
from awsafe.wiring.agent import AgentProvider
from awsafe.wiring.engine import Engine
from awsafe.wiring.options import CredentialRequest, GlobalOptions, parse_switch

if TYPE_CHECKING:
    from awsafe.cli.serve import Endpoint, ImdsEndpoint

log = logging.getLogger(__name__)
Execve = Callable[[str, list[str], dict[str, str]], object]
# AWSAFE_* first, aws-vault's spelling as the fallback (docs/environment.md)
DURATION_VARIABLES = ("AWSAFE_DURATION", "AWS_VAULT_DURATION")
STDOUT_VARIABLES = ("AWSAFE_STDOUT", "AWS_VAULT_STDOUT")


@dataclasses.dataclass(frozen=True)
class ExecOptions:
    """What `exec` was asked: the credential request, the command, and the endpoint flags."""

    request: CredentialRequest
    command: list[str]
    ecs_server: bool = False
    ec2_server: bool = False
    lazy: bool = False
    imds_v1: bool = False
    # The command came without '--' (`exec PROFILE word`): the word may be a pasted secret.
    unmarked: bool = False
    json: bool = False  # -j/--json: print credential_process JSON, run nothing (aws-vault's)

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> ExecOptions:
        return cls(
            request=credential_request(
                args, env, server_running=args.ecs_server or args.ec2_server, sign_in_without_browser=True
            ),
            command=list(args.args) + tail,
            ecs_server=args.ecs_server,
            ec2_server=args.ec2_server,
            lazy=args.lazy,
            imds_v1=args.imds_v1,
            unmarked=bool(args.args),
            json=args.json,
        )

    @property
    def server_flag(self) -> str | None:
        """The server flag given, as the user would spell it in a message."""
        return "--ecs-server" if self.ecs_server else "--ec2-server" if self.ec2_server else None

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        refuse_nesting(env)
        if self.ecs_server and self.ec2_server:
            raise UsageError("--ecs-server and --ec2-server cannot be combined: choose one protocol")
        server = self.server_flag
        if self.json and server:
            raise UsageError(f"--json cannot be combined with {server}: --json runs no command")
        if self.json and self.command:
            raise UsageError(
                "--json prints credentials and runs no command",
                hint="drop the command, or drop --json to run it",
            )
        if self.lazy and not server:
            raise UsageError("--lazy only applies with --ecs-server or --ec2-server")
        if self.imds_v1 and not self.ec2_server:
            raise UsageError("--imds-v1 only applies with --ec2-server")
        if server and self.request.no_session:
            raise UsageError(f"{server} cannot be combined with --no-session")
        prompt = options.prompt or env.get("AWSAFE_PROMPT", "AWS_VAULT_PROMPT")
        if server and (prompt or "").lower() == "terminal":
            raise UsageError(
                f"{server} cannot use the terminal prompt: the command owns the terminal",
                hint="use --prompt zenity, kdialog, osascript or ykman, or set mfa_process",
            )


def refuse_nesting(env: Environment) -> None:
    """Credentials inside a credential subshell would silently stack (aws-vault does the same).

    A shell switched with `awsafe use` is no subshell (its marker names the same profile): there
    is nothing to exit from, and switching it again is what `use` is for. A child of exec never
    inherits the marker (childenv.SCRUBBED).
    """
    inside = env.environ.get("AWS_VAULT")
    if inside and env.environ.get(USE_MARKER) != inside:
        raise UsageError(
            f"already in a credential subshell for profile {inside!r} (AWS_VAULT is set)",
            hint="'exit' from that shell first, or unset AWS_VAULT to force it",
        )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument("args", nargs="*", metavar="COMMAND", help="command and arguments (after --)")
    parser.add_argument(
        "-s",
        "--server",
        "--ecs-server",
        dest="ecs_server",
        action="store_true",
        help="serve credentials on a local ECS endpoint the command refreshes from",
    )
    parser.add_argument(
        "--ec2-server",
        dest="ec2_server",
        action="store_true",
        help="serve credentials on a local EC2 metadata (IMDSv2) endpoint the command refreshes from",
    )
    parser.add_argument(
        "--imds-v1",
        dest="imds_v1",
        action="store_true",
        help="with --ec2-server: also answer IMDSv1 GETs without a token",
    )
    parser.add_argument(
        "--lazy",
        action="store_true",
        help="with a server: fetch credentials on the first request, not before",
    )
    parser.add_argument(
        "-j",
        "--json",
        action="store_true",
        help="print the credentials as credential_process JSON (as export --format json); run nothing",
    )
    stdout_flag(parser)
    parser.set_defaults(run=run)


def stdout_flag(parser: argparse.ArgumentParser) -> None:
    """`--stdout` of exec and export (aws-vault's name): an SSO sign-in shows its URL instead of
    opening a browser. The URL goes to stderr, since stdout carries the credentials."""
    parser.add_argument(
        "--stdout",
        action="store_true",
        help="an IAM Identity Center sign-in prints its URL instead of opening a browser "
        "(env AWSAFE_STDOUT / AWS_VAULT_STDOUT)",
    )


def stdout_default(args: argparse.Namespace, env: Environment) -> bool:
    """--stdout, else AWSAFE_STDOUT, else AWS_VAULT_STDOUT (the first one set decides)."""
    if getattr(args, "stdout", False):
        return True
    for name in STDOUT_VARIABLES:
        if env.environ.get(name):
            return parse_switch(env.environ[name], name)
    return False


def credential_request(
    args: argparse.Namespace,
    env: Environment,
    *,
    server_running: bool = False,
    sign_in_without_browser: bool = False,
) -> CredentialRequest:
    """The credential flags shared by exec, export and login; the profile defaults to
    $AWS_PROFILE, --duration to AWSAFE_DURATION / AWS_VAULT_DURATION; ``sign_in_without_browser``:
    --stdout (or its variables) is about the SSO sign-in (exec, export), not login's own URL."""
    from awsafe.credentials.fastpath import fast_path_key

    profile = args.profile or env.get("AWS_PROFILE") or "default"
    return CredentialRequest(
        profile=profile,
        fast_path_key=fast_path_key(profile, env.environ),
        region=args.region,
        duration=args.duration or env.get(*DURATION_VARIABLES),
        no_session=args.no_session,
        mfa_token=args.mfa_token,
        server_running=server_running,
        sso_no_browser=sign_in_without_browser and stdout_default(args, env),
    )


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    exec_options = ExecOptions.from_args(args, tail, env)
    exec_options.validate(env, options)
    picked = choose_profile(exec_options.request, bool(args.profile), env)
    exec_options = dataclasses.replace(exec_options, request=picked)
    if exec_options.json:
        return print_credential_process(exec_options.request, options, env)
    if exec_options.server_flag:
        return exec_with_server(exec_options, options, env)
    return exec_command(exec_options, options, env)


def print_credential_process(request: CredentialRequest, options: GlobalOptions, env: Environment) -> int:
    """`exec --json`: exactly what `export --format json` prints (aws-vault runs its export)."""
    from awsafe.render import render

    answer = Engine(options, env).credentials(request)
    env.stdout.write(render("json", answer.credentials, answer.region, request.profile, answer.account_id))
    env.stdout.flush()
    return ExitCode.OK


def _command_or_shell(command: list[str], env: Environment, profile: str) -> list[str]:
    if command:
        return command
    shell = env.get("SHELL") or "/bin/sh"
    env.stderr.write(f"awsafe: starting {shell} with credentials of {profile!r}; type 'exit' to leave\n")
    return [shell]


def exec_with_server(exec_options: ExecOptions, options: GlobalOptions, env: Environment) -> int:
    """Run the command as a child that refreshes its credentials from a local ECS or IMDS endpoint."""
    from awsafe.childenv import render_server_child_environment
    from awsafe.cli.serve import run_child, start_ecs_endpoint, start_imds_endpoint

    # awsafe stays the parent, holding the unlocked vault, for the child's whole life.
    if make_undumpable():
        log.debug("process %d is not dumpable: no core file, no ptrace by other processes", os.getpid())
    request = exec_options.request
    engine = Engine(options, env)
    chain = engine.profile_chain(request)
    provider = engine.provider(chain, request)
    if exec_options.lazy and not isinstance(provider, AgentProvider):
        engine.store.keys()  # unlock now: a passphrase prompt needs the terminal the child gets next
    endpoint: Endpoint | ImdsEndpoint
    if exec_options.ec2_server:
        endpoint = start_imds_endpoint(
            env, provider, chain[0], lazy=exec_options.lazy, allow_v1=exec_options.imds_v1
        )
    else:
        endpoint = start_ecs_endpoint(env, provider, chain[0], lazy=exec_options.lazy)
    try:
        child_env = render_server_child_environment(
            env.environ,
            request.profile,
            chain[0].region,
            endpoint.child_variables(),
            endpoint.replaced_prefixes,
        )
        command = _command_or_shell(exec_options.command, env, request.profile)
        env.stdout.flush()
        env.stderr.flush()
        try:
            return run_child(command, child_env)
        except CommandError as e:
            _raise_cannot_start(exec_options, e, e.__cause__)
    finally:
        endpoint.stop()


def exec_command(
    exec_options: ExecOptions, options: GlobalOptions, env: Environment, execve: Execve = os.execvpe
) -> int:
    """Replace this process with the command, its environment holding the credentials."""
    request = exec_options.request
    # the fast path leaves starting $SHELL to the full path: no record for it
    answer = Engine(options, env).credentials(request, remember=bool(exec_options.command))
    child_env = render_child_environment(
        env.environ, request.profile, answer.credentials, answer.region, answer.account_id
    )
    command = _command_or_shell(exec_options.command, env, request.profile)
    env.stdout.flush()
    env.stderr.flush()
    try:
        execve(command[0], command, child_env)
    except OSError as e:
        _raise_cannot_start(exec_options, CommandError.cannot_start(command[0], e), e)
    return ExitCode.OK  # reached only with a test double for execve


def _raise_cannot_start(
    exec_options: ExecOptions, error: CommandError, cause: BaseException | None
) -> NoReturn:
    """Raise ``error``, but never naming a program given without '--' (a stray pasted secret is
    the classic case): only its length is told, as for any unexpected argument, and the cause
    (whose text holds the word) is dropped even from --debug."""
    if not exec_options.unmarked or not exec_options.command:
        raise error from cause
    what = "command not found" if error.exit_code == ExitCode.COMMAND_NOT_FOUND else "cannot run the command"
    raise CommandError(
        f"{what}: the word after the profile ({len(exec_options.command[0])} characters; "
        "not shown, in case it is a secret)",
        exit_code=error.exit_code,
        hint="a command run by exec goes after '--': awsafe exec PROFILE -- COMMAND ARGS",
    ) from None
