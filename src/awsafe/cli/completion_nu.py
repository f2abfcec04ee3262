"""The nushell completion script, rendered from the CLI's parser (shtab has no nushell); pure.

nushell completes an external command from ``extern "awsafe exec" [...]`` signatures: one per
subcommand (aliases too), each flag and positional with its help as the description and a
completer where the value has one. There is deliberately no ``extern "awsafe"`` for the bare
command, and none for what the `awsafe init` shell function handles itself (SHELL_COMMANDS): an
extern of that name would replace the function. nushell finds the subcommands by their names,
and every subcommand carries the global flags anyway.
"""

from __future__ import annotations

import argparse
import json

# Subcommands the shell function of `awsafe init nu` runs itself (an extern would shadow it).
SHELL_COMMANDS = ("use",)

_HEAD = """\
# awsafe completions for nushell, generated from awsafe's own argument parser.
# Profile and SSO session names come from `awsafe __complete` (names only, never the vault).

def "nu-complete awsafe profiles" [context: string] {
  let word = ($context | split row " " | last)
  try { ^awsafe __complete profiles $word | lines } catch { [] }
}

def "nu-complete awsafe sso-sessions" [context: string] {
  let word = ($context | split row " " | last)
  try { ^awsafe __complete sso-sessions $word | lines } catch { [] }
}
"""


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid nushell double-quoted string


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    try:
        text = parser._get_formatter()._expand_help(action)
    except (KeyError, TypeError, ValueError):
        text = action.help
    return "  # " + " ".join(text.split())


def _completer(action: argparse.Action) -> str:
    complete = getattr(action, "complete", None)
    if isinstance(complete, dict) and complete.get("names") in ("profiles", "sso-sessions"):
        return f'@"nu-complete awsafe {complete["names"]}"'
    if action.choices:
        return "@[" + " ".join(_quoted(str(choice)) for choice in action.choices) + "]"
    return ""


def _flag(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    longs = [option for option in action.option_strings if option.startswith("--")]
    shorts = [option for option in action.option_strings if not option.startswith("--")]
    name = longs[0] if longs else shorts[0]
    if longs and shorts and len(shorts[0]) == 2:
        name += f"({shorts[0]})"  # nushell's spelling of -d beside --duration
    value = "" if action.nargs == 0 else ": string" + _completer(action)
    extra = [f"{option}{value}" for option in longs[1:]]  # a second long spelling, rare
    return "\n".join(f"  {text}{_help(parser, action)}" for text in [name + value, *extra])


def _positional(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    name = action.dest.replace("-", "_")
    kind = ": string" + _completer(action)
    if action.nargs in ("*", "+", argparse.REMAINDER):
        return f"  ...{name}{kind}{_help(parser, action)}"
    optional = "?" if action.nargs == "?" else ""
    return f"  {name}{optional}{kind}{_help(parser, action)}"


def render_extern(path: str, parser: argparse.ArgumentParser) -> str:
    """``export extern "awsafe PATH" [...]`` for one subcommand's parser."""
    lines: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        lines.append(_flag(parser, action) if action.option_strings else _positional(parser, action))
    description = f"# {' '.join((parser.description or '').split())}\n" if parser.description else ""
    return f'{description}export extern "awsafe {path}" [\n' + "\n".join(lines) + "\n]\n"


def _subcommands(
    parser: argparse.ArgumentParser, path: str = ""
) -> list[tuple[str, argparse.ArgumentParser]]:
    """(path, parser) of every subcommand below ``parser``, aliases included under their names."""
    found: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                here = f"{path} {name}".strip()
                found.append((here, sub))
                found.extend(_subcommands(sub, here))
    return found


def render_nu_script(parser: argparse.ArgumentParser) -> str:
    """The whole script: the name completers, then one extern per subcommand."""
    externs = [
        render_extern(path, sub)
        for path, sub in _subcommands(parser)
        if path.split()[0] not in SHELL_COMMANDS
    ]
    return _HEAD + "\n" + "\n".join(externs)
