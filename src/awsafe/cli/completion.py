"""`awsafe completion SHELL` and aws-vault's `--completion-script-*` flags: print a completion script.

Every script is generated from the parser the CLI parses with (``main.build_parser``), so
commands and flags never drift from it: bash, zsh, fish and PowerShell by shtab (imported
here, and only when a script is asked for), nushell by ``completion_nu``. Values are completed
too: profile names and SSO sessions by asking `awsafe __complete` at completion time
(``complete_names``: fast, names only, never the vault), backend names, prompt drivers,
export formats and the shells themselves from the lists the code checks them against.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring.options import GlobalOptions

SHELLS = ("bash", "zsh", "fish", "pwsh", "nu")
# aws-vault's (kingpin's) hidden flags print a script and exit; fish is awsafe's addition.
SCRIPT_FLAGS = {
    "--completion-script-bash": "bash",
    "--completion-script-zsh": "zsh",
    "--completion-script-fish": "fish",
}
_ZSH_EVAL_ONLY = "if [[ $zsh_eval_context[-1] == eval ]]; then"
_ZSH_EVAL_OR_SOURCE = "if [[ $zsh_eval_context[-1] == (eval|file) ]]; then"
# After `--` the words are a command of its own (exec's): complete them as that command, as
# aws-vault's bash, zsh and fish scripts do. shtab's scripts know nothing of `--`.
_BASH_REGISTER = "complete -o bashdefault -F _shtab_awsafe awsafe"
_BASH_AFTER_DASHDASH = """\
_awsafe_complete() {
  local i
  for (( i = 1; i < COMP_CWORD; i++ )); do
    if [[ ${COMP_WORDS[i]} == -- ]]; then
      if declare -F _command_offset >/dev/null; then
        _command_offset $(( i + 1 ))  # bash-completion: the command's own completion
      elif (( COMP_CWORD == i + 1 )); then
        mapfile -t COMPREPLY < <(compgen -c -- "${COMP_WORDS[COMP_CWORD]}")
      else
        mapfile -t COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
      fi
      return 0
    fi
  done
  _shtab_awsafe "$@"
}
complete -o bashdefault -F _awsafe_complete awsafe"""
_ZSH_AFTER_DASHDASH = """\
_awsafe_complete() {
  local i
  for (( i = 2; i < CURRENT; i++ )); do
    if [[ ${words[i]} == -- ]]; then
      shift $i words
      (( CURRENT -= i ))
      _normal
      return
    fi
  done
  _shtab_awsafe "$@"
}

"""
_ZSH_REGISTER = "compdef _shtab_awsafe -N awsafe"
_ZSH_AUTOLOADED = '  _shtab_awsafe "$@"\nfi'
_FISH_AFTER_DASHDASH = """
# After `--`: the command's own completion, and none of awsafe's.
function __awsafe_after_dashdash
  contains -- -- (commandline -opc)
end
functions -c _shtab_awsafe_using __awsafe_shtab_using
function _shtab_awsafe_using
  __awsafe_after_dashdash; and return 1
  __awsafe_shtab_using $argv
end
function __awsafe_complete_command
  set -l parts (string split --max 1 -- ' -- ' (commandline -pc))
  complete -C "$parts[2]"
end
complete -c awsafe -n __awsafe_after_dashdash -xa '(__awsafe_complete_command)'
"""
_SHTAB_SHELL = {"bash": "bash", "zsh": "zsh", "fish": "fish", "pwsh": "powershell"}

# `command awsafe` / the Application: past a shell function named awsafe (`awsafe init`).
_BASH_NAMES = """
{function}() {{
  command awsafe __complete {kind} "$1" 2>/dev/null
}}"""
_ZSH_NAMES = """
{function}() {{
  local -a names
  names=(${{(f)"$(command awsafe __complete {kind} "$PREFIX" 2>/dev/null)"}})
  compadd -a names
}}"""
_PWSH_NAMES = """
function {function} {{
  param([string]$WordToComplete)
  $awsafe = Get-Command awsafe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
  if ($awsafe) {{ & $awsafe __complete {kind} $WordToComplete 2>$null }}
}}"""


def _names(kind: str) -> dict[str, Any]:
    """A shtab ``.complete`` that asks `awsafe __complete KIND PREFIX` at completion time."""
    function = f"_awsafe_complete_{kind.replace('-', '_')}"
    preamble = {
        shell: text.format(kind=kind, function=function)
        for shell, text in (("bash", _BASH_NAMES), ("zsh", _ZSH_NAMES), ("powershell", _PWSH_NAMES))
    }
    return {
        "bash": function,
        "zsh": function,
        "powershell": function,
        "fish": f"(command awsafe __complete {kind} (commandline -ct))",
        "preamble": preamble,
        "names": kind,  # not a shell: for completion_nu, which writes its own completers
    }


PROFILES = _names("profiles")
SSO_SESSIONS = _names("sso-sessions")


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (command path, parser) below and including ``parser``, aliases left out."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # an alias maps to the same parser: once, by its name
                    seen.add(id(sub))
                    found.extend(walk(sub, (*path, name)))
    return found


# main.build_parser, handed over by main (add_script_flags): importing it here would make
# main -> completion -> main a cycle, and the script must come from the parser main builds.
_build_parser: list[Callable[[], argparse.ArgumentParser]] = []


def completion_parser() -> argparse.ArgumentParser:
    """The CLI's parser with what completes each value: profiles, SSO sessions, backends, prompts."""
    from awsafe.prompts.mfa import DRIVERS
    from awsafe.vault.select import backend_names

    if not _build_parser:
        raise RuntimeError("completion_script() before main.build_parser() ran")  # a bug: exit 70
    parser = _build_parser[-1]()
    for _path, sub in walk(parser):
        for action in sub._actions:
            if action.dest == "profile":
                action.complete = PROFILES  # type: ignore[attr-defined]
            elif action.dest == "sso_session":
                action.complete = SSO_SESSIONS  # type: ignore[attr-defined]
            elif action.dest == "backend":
                action.choices = backend_names()  # this parser only generates; it never parses
            elif action.dest == "prompt":
                action.choices = list(DRIVERS)
    return parser


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (one of SHELLS), ready to eval or save."""
    if shell not in SHELLS:
        raise UsageError(f"completion: no script for {shell!r}; shells: {', '.join(SHELLS)}")
    parser = completion_parser()
    if shell == "nu":
        from awsafe.cli.completion_nu import render_nu_script

        return render_nu_script(parser)
    import shtab  # a dependency only this command needs: imported here, never at start-up

    script = str(shtab.complete(parser, _SHTAB_SHELL[shell]))
    if shell == "bash":
        script = script.replace(_BASH_REGISTER, _BASH_AFTER_DASHDASH)
    elif shell == "zsh":
        # shtab registers the function when the script is eval'ed and otherwise runs it (as an
        # autoloaded _awsafe); `source <(awsafe completion zsh)` must register it too.
        script = script.replace(_ZSH_EVAL_ONLY, _ZSH_AFTER_DASHDASH + _ZSH_EVAL_OR_SOURCE)
        script = script.replace(_ZSH_REGISTER, "compdef _awsafe_complete -N awsafe")
        script = script.replace(_ZSH_AUTOLOADED, '  _awsafe_complete "$@"\nfi')
    elif shell == "fish":
        script += _FISH_AFTER_DASHDASH
    return script if script.endswith("\n") else script + "\n"


@dataclasses.dataclass(frozen=True)
class CompletionOptions:
    """What `completion` was asked: the shell."""

    shell: str
    tail: tuple[str, ...] = ()  # words after '--': completion runs no command

    @classmethod
    def from_args(cls, args: argparse.Namespace, tail: list[str], env: Environment) -> CompletionOptions:
        return cls(shell=args.shell, tail=tuple(tail))

    def validate(self, env: Environment, options: GlobalOptions) -> None:
        if self.tail:
            raise UsageError("completion takes no command")
        if self.shell not in SHELLS:
            raise UsageError(f"completion: no script for {self.shell!r}; shells: {', '.join(SHELLS)}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell: " + ", ".join(SHELLS))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, tail: list[str], options: GlobalOptions, env: Environment) -> int:
    completion_options = CompletionOptions.from_args(args, tail, env)
    completion_options.validate(env, options)
    env.stdout.write(completion_script(completion_options.shell))
    env.stdout.flush()
    return ExitCode.OK


class _PrintScript(argparse.Action):
    """aws-vault's `--completion-script-SHELL`: print the script and exit 0, as --version does."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        sys.stdout.write(completion_script(SCRIPT_FLAGS[str(option_string)]))
        sys.stdout.flush()
        parser.exit(0)


def add_script_flags(parser: argparse.ArgumentParser, build: Callable[[], argparse.ArgumentParser]) -> None:
    """The hidden top-level `--completion-script-bash|zsh|fish` flags (hidden in aws-vault too);
    ``build`` (main.build_parser) is what every script is generated from."""
    if build not in _build_parser:
        _build_parser.append(build)
    for flag in SCRIPT_FLAGS:
        parser.add_argument(flag, action=_PrintScript)
