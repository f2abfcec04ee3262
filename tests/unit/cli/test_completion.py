"""`awsafe completion SHELL`, the --completion-script-* flags, and what each script covers.

Every script must offer every subcommand and every visible flag of the parser the CLI parses
with, found where that shell's script lists the command's words (so a flag listed under the
wrong command fails too); values (profiles, SSO sessions, backends, prompts, formats, shells)
must be wired to their completer. Real shells run the scripts in tests/e2e/test_completion_shells.py;
PowerShell has no runtime here, so its script is checked only by these structural tests.
"""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from awsafe.cli.completion import SCRIPT_FLAGS, SHELLS, completion_parser, completion_script, walk
from awsafe.cli.completion_nu import SHELL_COMMANDS
from awsafe.cli.main import build_parser
from awsafe.prompts.mfa import DRIVERS
from awsafe.render import FORMATS
from awsafe.vault.select import backend_names
from tests.support.cli import run_main

build_parser()  # hands build_parser to the completion module, as every CLI run does


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return {shell: completion_script(shell) for shell in SHELLS}


def _commands() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    return walk(build_parser())


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for option in action.option_strings
    ]


def _subcommand_names(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def _word(path: tuple[str, ...]) -> str:
    """shtab's name for a command path: _shtab_awsafe_sso_login."""
    return re.sub(r"\W", "_", "_shtab_awsafe" + "".join(f"_{part}" for part in path))


def _block(script: str, opening: str, closing: str) -> str:
    start = script.index(opening)
    return script[start : script.index(closing, start + len(opening))]


def _flag_section(shell: str, script: str, path: tuple[str, ...]) -> str:
    """The part of ``script`` listing the flags of the command ``path``."""
    word = _word(path)
    if shell == "bash":
        return _block(script, f"\n{word}_option_strings=(", ")")
    if shell == "zsh":
        return _block(script, f"\n{word}_options=(", "\n)\n")
    if shell == "fish":
        condition = shlex.quote(" ".join(["_shtab_awsafe_using", *path]))
        return "\n".join(line for line in script.splitlines() if f"-n {condition} " in line)
    if shell == "pwsh":
        table = _block(script, "$_shtab_awsafe_option_strings = @{", "\n}")
        return _block(table, f"'{word}' = @(", ")")
    return _block(script, f'export extern "awsafe {" ".join(path)}" [', "\n]\n")


def _subcommand_section(shell: str, script: str, path: tuple[str, ...]) -> str:
    """The part of ``script`` listing the subcommands of the command ``path``."""
    word = _word(path)
    if shell == "bash":
        return _block(script, f"\n{word}_subparsers=(", ")")
    if shell == "zsh":
        return _block(script, f"\n{word}_commands() {{", "\n}")
    if shell == "fish":
        condition = " ".join(["_shtab_awsafe_using", *path]) + "; and test $_shtab_awsafe_npos -eq 0"
        return "\n".join(line for line in script.splitlines() if f"-n {shlex.quote(condition)} " in line)
    if shell == "pwsh":
        return _block(_block(script, "$_shtab_awsafe_subparsers = @{", "\n}"), f"'{word}' = @(", ")")
    return "\n".join(line for line in script.splitlines() if line.startswith('export extern "awsafe '))


def _offers(shell: str, section: str, word: str, *, subcommand: bool = False) -> bool:
    if shell == "fish":  # -l format / -s d for flags, -a exec for subcommands
        if subcommand:
            return f" -a {shlex.quote(word)} " in section
        spelled = f"-l {word[2:]}" if word.startswith("--") else f"-s {word[1:]}"
        return re.search(rf"(?<![\w-]){re.escape(spelled)}(?![\w-])", section) is not None
    if shell == "nu" and subcommand:
        return re.search(rf'"awsafe (\S+ )*{re.escape(word)}"', section) is not None
    if shell == "nu" and len(word) == 2:  # a short flag: --duration(-d)
        return f"({word})" in section
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", section) is not None


@pytest.mark.parametrize("shell", SHELLS)
def test_every_subcommand_and_flag_of_the_parser_is_in_the_script(
    shell: str, scripts: dict[str, str]
) -> None:
    script = scripts[shell]
    missing: list[str] = []
    for path, parser in _commands():
        if shell == "nu" and (not path or path[0] in SHELL_COMMANDS):
            continue  # no `extern "awsafe"` nor `extern "awsafe use"`: each would shadow the function
        section = _flag_section(shell, script, path)
        missing += [
            f"{' '.join(path)} {flag}" for flag in _flags(parser) if not _offers(shell, section, flag)
        ]
        if _subcommand_names(parser):
            subsection = _subcommand_section(shell, script, path)
            missing += [
                f"{' '.join(path)} {name}".strip()
                for name in _subcommand_names(parser)
                if not _offers(shell, subsection, name, subcommand=True)
            ]
    assert not missing, f"{shell}: not offered: {missing}"


@pytest.mark.parametrize("shell", SHELLS)
def test_the_hidden_flags_are_not_offered(shell: str, scripts: dict[str, str]) -> None:
    for flag in SCRIPT_FLAGS:
        assert flag not in scripts[shell]


@pytest.mark.parametrize("shell", SHELLS)
def test_values_are_wired_to_their_completers(shell: str, scripts: dict[str, str]) -> None:
    script = scripts[shell]
    exec_section = _flag_section(shell, script, ("exec",))
    assert re.search(r"awsafe __complete profiles\b", script)
    assert re.search(r"awsafe __complete sso-sessions\b", script)
    for value in [*backend_names(), *DRIVERS, *FORMATS, *SHELLS]:
        assert re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", script), value
    if shell == "nu":
        assert 'profile?: string@"nu-complete awsafe profiles"' in exec_section
        assert '--format: string@["env" "export-env" "ini" "json"]' in script
        assert "--backend: string@[" + " ".join(f'"{name}"' for name in backend_names()) + "]" in exec_section


def test_the_pwsh_script_registers_a_native_completer_with_profiles_and_values(
    scripts: dict[str, str],
) -> None:
    # No PowerShell runtime on this machine: the script's structure is what can be checked.
    script = scripts["pwsh"]
    assert "Register-ArgumentCompleter -Native -CommandName awsafe -ScriptBlock {" in script
    function = _block(script, "function _awsafe_complete_profiles {", "\n}")
    assert "param([string]$WordToComplete)" in function
    # The program itself, past an `awsafe` function of `awsafe init pwsh`; names only.
    assert "Get-Command awsafe -CommandType Application" in function
    assert "__complete profiles $WordToComplete" in function
    compgens = _block(script, "$_shtab_awsafe_compgens = @{", "\n}")
    for command in ("exec", "export", "login", "rotate", "remove", "clear", "add", "server"):
        assert f"'_shtab_awsafe_{command}_pos_0' = '_awsafe_complete_profiles'" in compgens
    choices = _block(script, "$_shtab_awsafe_choices = @{", "\n}")
    assert "'_shtab_awsafe_export___format' = @('env', 'export-env', 'ini', 'json')" in choices
    names = ", ".join(f"'{name}'" for name in backend_names())
    assert f"'_shtab_awsafe_exec___backend' = @({names})" in choices


def test_the_zsh_script_registers_itself_when_sourced_too(scripts: dict[str, str]) -> None:
    # shtab's script registers itself only under eval; awsafe widens that to `source`.
    assert "if [[ $zsh_eval_context[-1] == (eval|file) ]]; then\n  # eval/source/. command" in scripts["zsh"]


def test_completion_parser_marks_every_profile_argument() -> None:
    marked = [
        " ".join(path)
        for path, parser in walk(completion_parser())
        for action in parser._actions
        if action.dest == "profile" and getattr(action, "complete", None)
    ]
    assert {"add", "remove", "clear", "exec", "export", "server", "login", "rotate"} <= set(marked)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_completion_command_prints_the_script(shell: str, scripts: dict[str, str]) -> None:
    result = run_main("completion", shell)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == scripts[shell]


@pytest.mark.parametrize(("flag", "shell"), list(SCRIPT_FLAGS.items()))
def test_aws_vaults_completion_script_flags_print_the_script(
    flag: str, shell: str, scripts: dict[str, str]
) -> None:
    result = run_main(flag)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == scripts[shell]


def test_the_completion_script_flags_are_hidden_from_help() -> None:
    result = run_main("--help")
    assert result.returncode == 0
    assert "completion" in result.stdout  # the command is listed
    assert "--completion-script" not in result.stdout


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = run_main("completion", "tcsh")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert result.stdout == ""
