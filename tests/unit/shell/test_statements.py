"""Each shell reads back exactly the values `awsafe use` hands it, and runs nothing in them.

The statements are evaluated by the real bash, zsh, fish and nushell (one process per shell for
all the values); the values are what an attacker-controlled or merely odd string could be:
quotes of every kind, `$`, backticks, command substitutions, backslashes, newlines. There is no
PowerShell runtime on this machine: its quoting is checked against PowerShell's rules for
single-quoted strings (quote characters, typographic ones included, doubled; nothing else special).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from awsafe.shell.functions import render_function
from awsafe.shell.statements import SHELLS, Change, quote_pwsh, render_statements, resolve_shell

NU = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"

HOSTILE = [
    "plain",
    "",
    "it's",
    "'",
    "''",
    '"double" quotes',
    "$(touch pwned-dollar)",
    "`touch pwned-backtick`",
    "(touch pwned-paren)",
    "${HOME} $HOME %HOME% $env:HOME",
    "\\",
    "ends with a backslash\\",
    "back\\'slash then quote",
    "line1\nline2",
    "\n",
    "trailing newline\n",
    "tab\there, cr\rthere",
    "; touch pwned-semicolon; echo ",
    "' ; touch pwned-quote ; echo '",
    "'\n touch pwned-newline\n'",
    "* ~ {a,b} !! =ls %s",
    "\u2018smart\u2019 \u201alow\u201b $(touch pwned-smart)",
    "AKIA/x+y=z/secret+/==",
    "\\n written out",
    "\u00fcn\u00efcode \u2713",
]
NAMES = [f"AWSAFE_TEST_V{i}" for i in range(len(HOSTILE))]
ASSIGN = Change(assign=tuple(zip(NAMES, HOSTILE, strict=True)))


def _run(argv: list[str], script: str, cwd: Path) -> bytes:
    cwd.mkdir(exist_ok=True)
    path = cwd / "script"
    path.write_text(script)
    result = subprocess.run([*argv, str(path)], cwd=cwd, capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        pytest.fail(f"{name} is not installed (scripts/test installs it with apt)", pytrace=False)
    return program


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_hostile_values_come_back_byte_for_byte_and_run_nothing(shell: str, tmp_path: Path) -> None:
    flags = {"bash": ["--norc", "--noprofile"], "zsh": ["-f"], "fish": ["--no-config"]}[shell]
    # a name set beforehand, removed by the same change
    before = "set -gx AWSAFE_TEST_GONE x\n" if shell == "fish" else "export AWSAFE_TEST_GONE=x\n"
    change = Change(unset=("AWSAFE_TEST_GONE",), assign=ASSIGN.assign)
    printing = " ".join(f'"${name}"' for name in NAMES)
    gone = (
        "set -q AWSAFE_TEST_GONE; and echo still-set"
        if shell == "fish"
        else '[ -n "${AWSAFE_TEST_GONE+x}" ] && echo still-set'
    )
    script = before + render_statements(shell, change) + f"printf '%s\\0' {printing}\n{gone}\ntrue\n"
    work = tmp_path / "work"
    out = _run([_program(shell), *flags], script, work)
    assert out.split(b"\0")[:-1] == [value.encode() for value in HOSTILE]
    assert out.split(b"\0")[-1] == b""  # not still-set
    assert sorted(p.name for p in work.iterdir()) == ["script"]  # no pwned-* file


def test_hostile_values_reach_nushell_as_data(tmp_path: Path) -> None:
    if not NU.is_file():
        pytest.skip(f"nushell is not installed ({NU} missing); run `npm ci` in tests/js or scripts/test")
    work = tmp_path / "work"
    work.mkdir()
    (work / "change.json").write_text(render_statements("nu", ASSIGN))
    script = "let change = (open --raw change.json | from json)\nload-env $change.set\n"
    script += "print ([" + " ".join(f"$env.{name}" for name in NAMES) + "] | to json --raw)\n"
    out = _run([str(NU), "--no-config-file"], script, work)
    assert json.loads(out) == HOSTILE
    assert sorted(p.name for p in work.iterdir()) == ["change.json", "script"]


def _read_pwsh_single_quoted(text: str) -> str:
    """PowerShell's tokenizer for a single-quoted string: any of its five quote characters ends it,
    unless the next character is a quote character too (then one literal quote)."""
    quotes = "'\u2018\u2019\u201a\u201b"
    assert text[0] in quotes
    value, i = [], 1
    while i < len(text):
        if text[i] in quotes:
            if i + 1 < len(text) and text[i + 1] in quotes:
                value.append(text[i])
                i += 2
                continue
            assert i == len(text) - 1, f"the string ends early, at {i}: {text!r}"
            return "".join(value)
        value.append(text[i])
        i += 1
    raise AssertionError("unterminated")


@pytest.mark.parametrize("value", HOSTILE)
def test_powershell_reads_each_value_as_one_literal_string(value: str) -> None:
    assert _read_pwsh_single_quoted(quote_pwsh(value)) == value


def test_powershell_statements_and_function() -> None:
    text = render_statements("pwsh", Change(unset=("AWS_PROFILE",), assign=(("AWS_VAULT", "it's"),)))
    assert text == (
        "Remove-Item -LiteralPath Env:\\AWS_PROFILE -ErrorAction SilentlyContinue\n$env:AWS_VAULT = 'it''s'\n"
    )
    function = render_function("pwsh")
    assert "function awsafe {" in function
    assert "use --shell pwsh --parent-pid $PID @awsafeRest" in function
    assert "if ($LASTEXITCODE -ne 0) { return }" in function  # a failed use evaluates nothing
    assert "Invoke-Expression" in function
    assert "& $awsafeProgram @args" in function  # every other command goes to the program
    assert function.count("{") == function.count("}")


def test_only_variable_names_reach_a_statement() -> None:
    for shell in SHELLS:
        with pytest.raises(ValueError):
            render_statements(shell, Change(unset=("A;rm -rf /",)))
        with pytest.raises(ValueError):
            render_statements(shell, Change(assign=(("$(x)", "v"),)))


def test_shell_names() -> None:
    assert [resolve_shell(name) for name in ("bash", "ZSH", "powershell", "nushell", "sh")] == [
        "bash",
        "zsh",
        "pwsh",
        "nu",
        None,
    ]
