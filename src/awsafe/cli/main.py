"""Argument parsing and the one error boundary: every AwsafeError becomes a short message and a code."""

from __future__ import annotations

import argparse
import logging
import re
import sys
import traceback
from collections.abc import Sequence

from awsafe.cli.vault_flags import add_vault_flags, read_vault_flags
from awsafe.cli.version import render_version
from awsafe.environment import Environment
from awsafe.errors import AwsafeError, ExitCode, UsageError
from awsafe.process_guard import disable_core_dumps
from awsafe.wiring.options import GlobalOptions

# The package logger: every module logs to its own child (getLogger(__name__)), configured here once.
log = logging.getLogger("awsafe")


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse quotes the rejected word; it may be a secret pasted in the wrong place.
        message = re.sub(r"invalid choice: '.*?'", "invalid choice", message)
        command = self.prog.removeprefix("awsafe").strip()
        prefix = f"{command}: " if command else ""
        raise UsageError(f"{prefix}{message}", hint=f"see: {self.prog} --help")


class _TopHelp(argparse.HelpFormatter):
    """`awsafe --help` at one width whatever the terminal: cli/helptext.py serves it pre-rendered."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=78)


def _refuse_extra(extra: list[str], command: str | None) -> None:
    # Never echo them: a pasted secret key is the classic stray argument.
    hint = (
        "a command run by exec goes after '--': awsafe exec PROFILE -- COMMAND ARGS"
        if command == "exec"
        else f"see: awsafe {command or ''} --help".replace("  ", " ")
    )
    raise UsageError(f"{len(extra)} unexpected argument(s) (not shown, in case one is a secret)", hint=hint)


def _global_flags(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show debug messages and tracebacks",
    )
    parser.add_argument(
        "--backend",
        default=default,
        metavar="NAME",
        help="vault backend: secret-service, keychain, wincred, kwallet, file, pass, keyctl, "
        "keepassxc (env AWSAFE_BACKEND / AWS_VAULT_BACKEND)",
    )
    parser.add_argument(
        "--file-dir",
        default=default,
        metavar="DIR",
        help="directory of the file vault (env AWSAFE_FILE_DIR / AWS_VAULT_FILE_DIR)",
    )
    add_vault_flags(parser, default)
    parser.add_argument(
        "--prompt",
        default=default,
        metavar="NAME",
        help="MFA prompt driver (env AWSAFE_PROMPT / AWS_VAULT_PROMPT)",
    )


def _credential_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d",
        "--duration",
        metavar="DURATION",
        help="duration of the session or role (e.g. 1h, 30m; env AWSAFE_DURATION / AWS_VAULT_DURATION)",
    )
    parser.add_argument(
        "-n",
        "--no-session",
        action="store_true",
        help="skip GetSessionToken; use the long-term keys directly",
    )
    parser.add_argument("--region", metavar="REGION", help="the AWS region")
    parser.add_argument("-t", "--mfa-token", metavar="CODE", help="the MFA code to use (6 digits)")


def build_parser() -> argparse.ArgumentParser:
    from awsafe.cli import (
        add,
        agent,
        clear,
        completion,
        execute,
        explain,
        export,
        importing,
        init,
        listing,
        login,
        migrate,
        remove,
        rotate,
        server,
        sso,
        use,
        version,
    )

    parser = _Parser(prog="awsafe", description="A vault for AWS credentials.", formatter_class=_TopHelp)
    parser.add_argument("-v", "--version", action="version", version=render_version())
    _global_flags(parser, top=True)
    completion.add_script_flags(parser, build_parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(
        name: str, help_text: str, aliases: Sequence[str] = (), *, add_help: bool = True
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help_text, aliases=list(aliases), description=help_text, add_help=add_help
        )
        _global_flags(sub, top=False)
        return sub

    add.configure(command("add", "Add long-term credentials of a profile to the vault"))
    listing.configure(command("list", "List profiles, stored credentials and sessions", ["ls"]))
    remove.configure(command("remove", "Remove the credentials of a profile", ["rm"]))
    clear.configure(command("clear", "Delete cached sessions"))
    sub = command("exec", "Run a command with temporary credentials of a profile")
    _credential_flags(sub)
    execute.configure(sub)
    sub = command("export", "Print temporary credentials of a profile")
    _credential_flags(sub)
    export.configure(sub)
    server.configure(command("server", "Serve a profile's credentials on a local ECS or IMDS endpoint"))
    sub = command("login", "Open the AWS console as a profile (a federation sign-in URL)")
    _credential_flags(sub)
    login.configure(sub)
    rotate.configure(command("rotate", "Rotate the long-term access key of a profile"))
    sso.configure(
        command("sso", "Sign in to IAM Identity Center, sign out, or make profiles for its roles"),
        lambda sub: _global_flags(sub, top=False),
    )
    agent.configure(
        command("agent", "Unlock the vault once and serve temporary credentials to your awsafe commands"),
        lambda sub: _global_flags(sub, top=False),
    )
    explain.configure(command("explain", "Show how a profile resolves and the calls a run of it would make"))
    importing.configure(
        command("import", "Bring keys in: from aws-vault's stores (or a plaintext credentials file)"),
        lambda sub: _global_flags(sub, top=False),
    )
    migrate.configure(command("migrate-backend", "Move the long-term keys from one vault backend to another"))
    completion.configure(
        command("completion", "Print the shell completion script (bash, zsh, fish, pwsh, nu)")
    )
    init.configure(command("init", "Print the shell integration (the awsafe function for use, completion)"))
    # use's -h goes to stderr (use.configure): the shell function evaluates its stdout
    sub = command(
        "use", "Set this shell's credentials (needs the function from `awsafe init SHELL`)", add_help=False
    )
    _credential_flags(sub)
    use.configure(sub)
    version.configure(command("version", "Print the version (as --version does)"))
    return parser


def _split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the first ``--`` is the command of `exec`, untouched by argparse."""
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def _configure_logging(debug: bool, env: Environment) -> None:
    handler = logging.StreamHandler(env.stderr)
    handler.setFormatter(logging.Formatter("awsafe: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.WARNING)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    if env is None:
        disable_core_dumps()  # done already when started through entry(); cheap to repeat
        env = Environment.from_process()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in _split_command(args_list)[0]
    try:
        head, tail = _split_command(args_list)
        parser = build_parser()
        args, extra = parser.parse_known_args(head)
        if extra:
            _refuse_extra(extra, args.command)
        _configure_logging(args.debug, env)
        if args.command is None:
            env.stderr.write(parser.format_help())
            return ExitCode.USAGE
        options = GlobalOptions(
            debug=args.debug,
            backend=args.backend,
            file_dir=args.file_dir,
            prompt=args.prompt,
            vault_flags=read_vault_flags(args),
        )
        return int(args.run(args, tail, options, env))
    except AwsafeError as e:
        if debug:
            traceback.print_exc(file=env.stderr)
        env.stderr.write(f"awsafe: {e.message}\n")
        if e.hint:
            env.stderr.write(f"awsafe: {e.hint}\n")
        return int(e.exit_code)
    except KeyboardInterrupt:
        env.stderr.write("\nawsafe: interrupted\n")
        return ExitCode.INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the one place that catches everything
        if debug:
            traceback.print_exc(file=env.stderr)
        env.stderr.write(
            f"awsafe: unexpected {type(e).__name__} (this is a bug; run again with --debug "
            "for details and report it)\n"
        )
        return ExitCode.BUG
