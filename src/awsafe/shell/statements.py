"""A change to a shell's environment (`awsafe use`) as each shell's own statements; pure, never prints.

Every value is quoted so that the shell reads it back byte for byte and runs nothing in it:
quotes, ``$``, backticks, backslashes and newlines included (a secret is any string STS
returns, and a region or profile name is whatever the config says). Names are checked, not
quoted: only identifiers reach a statement. Nushell cannot evaluate text, so it gets data
(JSON) that its function loads with ``load-env``.
"""

from __future__ import annotations

import dataclasses
import json
import re

SHELLS = ("bash", "zsh", "fish", "pwsh", "nu")
# Other spellings people type for the same shells.
SHELL_ALIASES = {"powershell": "pwsh", "nushell": "nu"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# PowerShell ends a single-quoted string at any of these (its tokenizer treats the typographic
# quotes as quotes); each is escaped by doubling it.
_PWSH_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


@dataclasses.dataclass(frozen=True)
class Change:
    """Variables to remove, then variables to set (in this order: a name may be in both)."""

    unset: tuple[str, ...] = ()
    assign: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)


def is_variable_name(name: str) -> bool:
    """A name every shell can hold as a variable (an environment may carry others)."""
    return bool(_NAME.match(name))


def resolve_shell(name: str) -> str | None:
    """The shell ``name`` stands for (``powershell`` is ``pwsh``), or None when not supported."""
    name = SHELL_ALIASES.get(name.lower(), name.lower())
    return name if name in SHELLS else None


def _checked(name: str) -> str:
    if not is_variable_name(name):
        raise ValueError("not a variable name")  # a bug: callers pass identifiers only
    return name


def quote_posix(value: str) -> str:
    """bash and zsh: single quotes keep everything literal; a quote closes, is escaped, reopens."""
    return "'" + value.replace("'", "'\\''") + "'"


def quote_fish(value: str) -> str:
    """fish: in single quotes only ``\\`` and ``'`` are special. Newlines are written as ``\\n``
    outside the quotes, so that every statement stays on one line."""
    parts = value.split("\n")
    quoted = ["'" + part.replace("\\", "\\\\").replace("'", "\\'") + "'" for part in parts]
    return "\\n".join(quoted)


def quote_pwsh(value: str) -> str:
    """PowerShell: a single-quoted string expands nothing; its quote characters are doubled."""
    for quote in _PWSH_QUOTES:
        value = value.replace(quote, quote * 2)
    return "'" + value + "'"


def render_statements(shell: str, change: Change) -> str:
    """The text the shell's `awsafe` function evaluates (for ``nu``: the JSON it loads)."""
    unset = [_checked(name) for name in change.unset]
    assign = [(_checked(name), value) for name, value in change.assign]
    if shell == "nu":
        return json.dumps({"unset": unset, "set": dict(assign)}) + "\n"
    if shell in ("bash", "zsh"):
        lines = [f"unset {name}" for name in unset]
        lines += [f"export {name}={quote_posix(value)}" for name, value in assign]
    elif shell == "fish":
        # erase only what is there: `set -e` of a missing variable fails the function's status
        lines = [f"set -q {name}; and set -e {name}" for name in unset]
        lines += [f"set -gx {name} {quote_fish(value)}" for name, value in assign]
        lines.append("true")
    elif shell == "pwsh":
        lines = [f"Remove-Item -LiteralPath Env:\\{name} -ErrorAction SilentlyContinue" for name in unset]
        lines += [f"$env:{name} = {quote_pwsh(value)}" for name, value in assign]
    else:
        raise ValueError("unknown shell")  # a bug: validated by the command
    return "".join(line + "\n" for line in lines)
