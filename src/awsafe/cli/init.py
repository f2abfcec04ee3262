"""`awsafe init SHELL`: print the shell integration, the `awsafe` function (for `awsafe use`) and
completion, for the shell to evaluate (docs/commands/init.md)."""

from __future__ import annotations

import argparse
import dataclasses

from awsafe.cli.completion import completion_script
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.shell.functions import render_function
from awsafe.shell.statements import SHELLS, resolve_shell
from awsafe.wiring.options import GlobalOptions

LOADING = {
    "bash": 'eval "$(awsafe init bash)"            # in ~/.bashrc',
    "zsh": 'eval "$(awsafe init zsh)"             # in ~/.zshrc',
    "fish": "awsafe init fish | source            # in ~/.config/fish/config.fish",
    "pwsh": "awsafe init pwsh | Out-String | Invoke-Expression   # in $PROFILE",
    "nu": "awsafe init nu | save -f ~/.cache/awsafe/init.nu   # then in config.nu: "
    "source ~/.cache/awsafe/init.nu",
}


@dataclasses.dataclass(frozen=True)
class InitOptions:
    """What `init` was asked: the shell (as typed; validate() names the supported ones)."""

    shell: str
    tail: tuple[str, ...] = ()  # words after '--': init runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> InitOptions:
        return cls(shell=args.shell, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("init takes no command")
        if resolve_shell(self.shell) is None:
            # the word is not echoed: a stray paste may be anything
            raise UsageError(f"init: unknown shell; choose one of {', '.join(SHELLS)}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Load it from your shell's start-up file: " + "; ".join(LOADING.values())
    parser.add_argument("shell", metavar="SHELL", help=f"one of {', '.join(SHELLS)} (powershell, nushell)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    init_options = InitOptions.from_args(args, tail, env)
    init_options.validate(env, options)
    return print_init(init_options, env)


def print_init(init_options: InitOptions, env: Environment) -> int:
    """The function, then the completion script, as one text the shell evaluates."""
    shell = resolve_shell(init_options.shell) or init_options.shell
    text = render_function(shell)
    completion = completion_script(shell)
    if completion:
        text += "\n" + completion
    env.stdout.write(text)
    env.stdout.flush()
    return ExitCode.OK
