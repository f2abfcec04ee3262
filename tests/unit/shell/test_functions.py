"""The `awsafe` function of each shell, driven in the real shell against a stand-in program.

The stand-in (a small sh script named `awsafe` first on PATH) records its argv and answers
`use` with statements, or fails after printing a trap: so these tests see what the function
passes on, that it evaluates the answer of a successful `use` only, and that every other
command reaches the program untouched. The real program is driven in tests/e2e/test_shell_use.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from awsafe.cli.init import InitOptions, print_init
from awsafe.shell.functions import render_function
from awsafe.shell.statements import Change, render_statements

NU = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"

STAND_IN = """#!/bin/sh
for word in "$@"; do printf '%s|' "$word"; done >> "$AWSAFE_TEST_ARGV"
echo >> "$AWSAFE_TEST_ARGV"
if [ "$1" = use ] && [ "$AWSAFE_TEST_FAIL" = 1 ]; then
    cat "$AWSAFE_TEST_TRAP"
    echo 'awsafe: no such profile' >&2
    exit 3
fi
if [ "$1" = use ]; then cat "$AWSAFE_TEST_ANSWER"; fi
"""


def _shell(shell: str) -> list[str]:
    if shell == "nu":
        if not NU.is_file():
            pytest.skip(f"nushell is not installed ({NU} missing); run `npm ci` in tests/js or scripts/test")
        return [str(NU), "--no-config-file"]
    program = shutil.which(shell)
    if program is None:
        pytest.fail(f"{shell} is not installed (scripts/test installs it with apt)", pytrace=False)
    return [program, *{"bash": ["--norc", "--noprofile"], "zsh": ["-f"], "fish": ["--no-config"]}[shell]]


def _print(shell: str, name: str) -> str:
    if shell == "nu":
        return f"print ($env | get -i {name} | default unset)"
    if shell == "fish":
        return f"set -q {name}; and echo ${name}; or echo unset"
    return f'echo "${{{name}-unset}}"'


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "nu"])
def test_the_function_evaluates_a_successful_use_only_and_passes_the_rest_on(
    shell: str, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "awsafe"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    answer = tmp_path / "answer"
    answer.write_text(render_statements(shell, Change(unset=("GONE",), assign=(("AWS_VAULT", "it's $(x)"),))))
    trap = tmp_path / "trap"
    trap.write_text(render_statements(shell, Change(assign=(("TRAPPED", "yes"),))))
    init = tmp_path / "init"
    init.write_text(render_function(shell))
    argv_log = tmp_path / "argv"
    lines = [
        f"source {init}",
        _print(shell, "AWS_VAULT"),
        "awsafe use --refresh test -d 1h",
        _print(shell, "AWS_VAULT"),
        _print(shell, "GONE"),
        "awsafe list --profiles 'two words'",
    ]
    # the stand-in prints the trap's statements, then exits 3: nothing of it may be evaluated
    failing = {
        "nu": "try { with-env {AWSAFE_TEST_FAIL: '1'} { awsafe use nosuch } }",
        "fish": "AWSAFE_TEST_FAIL=1 awsafe use nosuch; or echo failed",
    }.get(shell, "AWSAFE_TEST_FAIL=1 awsafe use nosuch || echo failed")
    lines += [failing, _print(shell, "TRAPPED")]
    if shell in ("bash", "zsh"):
        lines[0] = f". {init}"
    script = tmp_path / "script"
    script.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GONE": "here",
        "AWSAFE_TEST_ARGV": str(argv_log),
        "AWSAFE_TEST_ANSWER": str(answer),
        "AWSAFE_TEST_TRAP": str(trap),
    }
    result = subprocess.Popen(
        [*_shell(shell), str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = result.communicate(timeout=30)
    assert result.returncode == 0, err
    printed = [line for line in out.splitlines() if line != "failed"]
    assert printed == ["unset", "it's $(x)", "unset", "unset"], out
    calls = [line.split("|")[:-1] for line in argv_log.read_text().splitlines()]
    assert calls[0][:3] == ["use", "--shell", shell]
    assert calls[0][3] == "--parent-pid" and calls[0][4] == str(result.pid)  # the shell's own process
    assert calls[0][5:] == ["--refresh", "test", "-d", "1h"]
    assert calls[1] == ["list", "--profiles", "two words"]
    assert calls[2][:3] == ["use", "--shell", shell] and calls[2][5:] == ["nosuch"]


def test_init_prints_the_function_then_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from awsafe.cli import init

    monkeypatch.setattr(init, "completion_script", lambda shell: f"# completion for {shell}\n")
    env = type("E", (), {"stdout": io.StringIO()})()
    print_init(InitOptions("nushell"), env)  # type: ignore[arg-type]
    assert env.stdout.getvalue() == render_function("nu") + "\n# completion for nu\n"
