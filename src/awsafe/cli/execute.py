"""`awsafe exec`: run a program with temporary credentials, replacing this process."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable

from awsafe.cli.childenv import render_child_environment
from awsafe.environment import Environment
from awsafe.errors import CommandError, ExitCode, UsageError
from awsafe.wiring import (
    CredentialRequest,
    GlobalOptions,
    build_provider,
    open_vault,
    remember_for_hot_path,
    resolve_profile_chain,
)

Execve = Callable[[str, list[str], dict[str, str]], object]


@dataclasses.dataclass(frozen=True)
class ExecOptions:
    request: CredentialRequest
    command: list[str]

    def validate(self, env: Environment) -> None:
        refuse_nesting(env)


def refuse_nesting(env: Environment) -> None:
    """Credentials inside a credential subshell would silently stack (aws-vault does the same)."""
    inside = env.environ.get("AWS_VAULT")
    if inside:
        raise UsageError(
            f"already in a credential subshell for profile {inside!r} (AWS_VAULT is set)",
            hint="'exit' from that shell first, or unset AWS_VAULT to force it",
        )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", nargs="?", help="profile name (default: $AWS_PROFILE)")
    parser.add_argument("args", nargs="*", metavar="COMMAND", help="command and arguments (after --)")
    parser.set_defaults(run=run)


def credential_request(args: argparse.Namespace, env: Environment) -> CredentialRequest:
    """The credential flags shared by exec and export; the profile defaults to $AWS_PROFILE."""
    from awsafe.hotpath import memo_key

    profile = args.profile or env.get("AWS_PROFILE") or "default"
    return CredentialRequest(
        profile=profile,
        memo_key=memo_key(profile, env.environ),
        region=args.region,
        duration=args.duration,
        no_session=args.no_session,
        mfa_token=args.mfa_token,
    )


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    exec_options = ExecOptions(request=credential_request(args, env), command=list(args.args) + tail)
    return exec_command(exec_options, options, env)


def exec_command(
    exec_options: ExecOptions, options: GlobalOptions, env: Environment, execve: Execve = os.execvpe
) -> int:
    exec_options.validate(env)
    request = exec_options.request
    chain = resolve_profile_chain(env, request)
    store = open_vault(options, env)
    provider = build_provider(options, env, chain, request, store)
    credentials = provider.retrieve()
    if exec_options.command:  # the fast path leaves starting $SHELL to the full path
        remember_for_hot_path(options, env, request, store, provider, chain[0].region)
    child_env = render_child_environment(env.environ, request.profile, credentials, chain[0].region)
    command = exec_options.command
    if not command:
        shell = env.get("SHELL") or "/bin/sh"
        env.stderr.write(
            f"awsafe: starting {shell} with credentials of {request.profile!r}; type 'exit' to leave\n"
        )
        command = [shell]
    env.stdout.flush()
    env.stderr.flush()
    try:
        execve(command[0], command, child_env)
    except FileNotFoundError as e:
        raise CommandError(f"command not found: {command[0]}", exit_code=ExitCode.COMMAND_NOT_FOUND) from e
    except PermissionError as e:
        raise CommandError(
            f"command not executable: {command[0]}", exit_code=ExitCode.COMMAND_NOT_EXECUTABLE
        ) from e
    except OSError as e:
        raise CommandError(
            f"cannot run {command[0]}: {e.strerror}", exit_code=ExitCode.COMMAND_NOT_EXECUTABLE
        ) from e
    return ExitCode.OK  # reached only with a test double for execve
