"""Completion in real shells: bash, zsh, fish and nushell offer awsafe's subcommands, flags and
values, and the profile names of the config through the installed `awsafe __complete`.

Each shell loads the script `awsafe completion SHELL` prints and completes several command
lines in one process (bash through its completion function with COMP_WORDS/COMP_CWORD, zsh
through its completion widget in a zpty, fish with `complete -C`, nushell with `--ide-complete`
on a script file). The profile names exist only in this test's config file, so they can only
come from `awsafe __complete` reading it. No PowerShell runtime here: its script is checked by
tests/unit/cli/test_completion.py only.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from awsafe.cli.completion import completion_script
from awsafe.cli.main import build_parser
from tests.support.env import run_awsafe

NU = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"
# Read at import, before the autouse fixture scrubs AWSAFE_* for each test (as test_js_sdk.py).
NU_REQUIRED = os.environ.get("AWSAFE_TEST_JS") == "required"
CANARY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY"
CONFIG = f"""\
[default]
region = us-east-1

[profile demo]
aws_secret_access_key = {CANARY}

[profile test]
source_profile = demo
role_arn = arn:aws:iam::123456789012:role/seed-role

[profile team-alpha] # a comment
[profile team-beta]

[sso-session corp]
sso_region = eu-west-1
"""
SUBCOMMANDS = {"add", "list", "exec", "export", "login", "rotate", "sso", "agent", "completion"}
PROFILES = ["default", "demo", "test", "team-alpha", "team-beta"]
# (command line up to the cursor, what must be offered exactly)
LINES = [
    ("awsafe exec te", ["test", "team-alpha", "team-beta"]),
    ("awsafe export --format ", ["env", "export-env", "ini", "json"]),
    ("awsafe exec --backend fi", ["file"]),
    ("awsafe sso login --sso-session ", ["corp"]),
    ("awsafe completion ", ["bash", "fish", "nu", "pwsh", "zsh"]),
    ("awsafe exec --no-s", ["--no-session"]),
    ("awsafe ex", ["exec", "explain", "export"]),
]


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    """The config with the profiles, and a PATH where `awsafe` is the installed script."""
    Path(os.environ["AWS_CONFIG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(CONFIG)
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}


@pytest.fixture(scope="module")
def script_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    build_parser()  # hands build_parser to the completion module, as a CLI run does
    folder = tmp_path_factory.mktemp("completion")
    files = {}
    for shell in ("bash", "zsh", "fish", "nu"):
        files[shell] = folder / f"awsafe.{shell}"
        files[shell].write_text(completion_script(shell))
    return files


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/test installs it with apt-get)")
    return path


def _run(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _sections(output: str) -> dict[str, list[str]]:
    """`== LINE` headers each followed by the offered words, one a line."""
    found: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("== "):
            current = line[3:]
            found[current] = []
        elif current is not None and line:
            found[current].append(line)
    return found


def _check(offered: dict[str, list[str]], *, after_dashdash: bool = True) -> None:
    for line, expected in LINES:
        assert sorted(set(offered[line])) == sorted(expected), line
    assert set(offered["awsafe exec "]) == set(PROFILES)
    assert set(offered["awsafe "]) >= SUBCOMMANDS
    assert not any(CANARY in word for words in offered.values() for word in words)
    if after_dashdash:  # the command after `--` completes as itself, with none of exec's flags
        assert "echo" in offered["awsafe exec test -- ech"]
        assert offered["awsafe exec test -- ls --no-s"] == []


ALL_LINES = [line for line, _ in LINES] + ["awsafe exec ", "awsafe "]
DASHDASH_LINES = ["awsafe exec test -- ech", "awsafe exec test -- ls --no-s"]


def test_bash(world: dict[str, str], script_files: dict[str, Path]) -> None:
    lines = "\n".join("comp " + shlex.join(line.split(" ")) for line in ALL_LINES + DASHDASH_LINES)
    driver = f"""
source {script_files["bash"]}
complete -p awsafe
comp() {{
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
  "$function" awsafe "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"
  echo "== $*"; printf '%s\\n' "${{COMPREPLY[@]}}"
}}
function=$(complete -p awsafe | sed -E 's/.* -F ([^ ]+) .*/\\1/')
{lines}
"""
    output = _run(["bash", "--norc", "--noprofile", "-c", driver], world)
    assert output.splitlines()[0].startswith("complete ") and output.splitlines()[0].endswith(" awsafe")
    _check(_sections(output))


def test_fish(world: dict[str, str], script_files: dict[str, Path]) -> None:
    fish = _shell("fish")
    calls = "\n".join(
        f"echo '== {line}'; complete -C '{line}' | string replace -r '\\t.*' ''"
        for line in ALL_LINES + DASHDASH_LINES
    )
    output = _run([fish, "--no-config", "-c", f"source {script_files['fish']}\n{calls}\ntrue"], world)
    _check(_sections(output))


# In the interactive zsh: every word compadd adds to the completion goes to a file, and Tab
# runs complete-word, then writes a marker line once the completion is over.
ZSH_CAPTURE = r"""
autoload -U compinit && compinit -u -D
source {script}
zstyle ':completion:*' insert-tab false
compadd() {{
  if [[ ${{@[1,(i)(-|--)]}} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"; return $?
  fi
  local -a __hits
  builtin compadd -O __hits "$@"
  (( $#__hits )) && print -rl -- "${{__hits[@]}}" >> {capture}
  builtin compadd "$@"
}}
_awsafe_test_tab() {{ zle complete-word; print -r -- '--done--' >> {capture} }}
zle -N _awsafe_test_tab
bindkey '^I' _awsafe_test_tab
"""

# Outside: type each line and Tab into the interactive zsh in a zpty, wait for the marker,
# clear the line; what the shell echoes is read and dropped, so its pty never fills up.
ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty shell zsh -f -i
zpty -w shell "source $1"
drain() { local chunk; while zpty -r -t shell chunk 2>/dev/null; do :; done }
for line in "${@:3}"; do
  print -r -- "== $line" >> $2
  zpty -w -n shell "$line"$'\t'
  for i in {1..400}; do
    drain
    [[ $(grep -c -- '--done--' $2) -ge $(grep -c '^== ' $2) ]] && break
    sleep 0.05
  done
  zpty -w -n shell $'\C-e\C-u'
  drain
done
zpty -d shell
"""


def test_zsh(world: dict[str, str], script_files: dict[str, Path], tmp_path: Path) -> None:
    zsh = _shell("zsh")
    capture = tmp_path / "offered"
    setup = tmp_path / "setup.zsh"
    setup.write_text(ZSH_CAPTURE.format(script=script_files["zsh"], capture=capture))
    _run(
        [zsh, "-f", "-c", ZSH_DRIVER, "driver", str(setup), str(capture), *ALL_LINES, *DASHDASH_LINES], world
    )
    offered = _sections(capture.read_text().replace("--done--\n", ""))
    _check(offered)


def test_nushell(world: dict[str, str], script_files: dict[str, Path], tmp_path: Path) -> None:
    if not NU.is_file():
        reason = f"nushell is not installed ({NU} missing); run `npm ci` in tests/js or scripts/test"
        if NU_REQUIRED:
            pytest.fail(f"AWSAFE_TEST_JS=required but {reason}", pytrace=False)
        pytest.skip(reason)
    script = script_files["nu"].read_text()
    offered: dict[str, list[str]] = {}
    for line in ALL_LINES:
        source = tmp_path / "line.nu"
        source.write_text(script + line)
        answer = _run(
            [str(NU), "--no-config-file", "--ide-complete", str(len((script + line).encode())), str(source)],
            world,
        )
        # nushell offers a subcommand as its whole name ("awsafe exec"): keep the last word.
        offered[line] = [word.split(" ")[-1] for word in json.loads(answer)["completions"]]
    _check(offered, after_dashdash=False)  # not yet in nushell


def test_names_come_from_a_lean_process_that_never_opens_the_vault(world: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "awsafe", "__complete", "profiles", "t"],
        capture_output=True,
        text=True,
        env=world,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["test", "team-alpha", "team-beta"]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert imported & {"argparse", "typing", "awsafe.cli.main", "awsafe.config.index"} == set()
    assert not any(name.startswith(("awsafe.vault", "awsafe.wiring", "keyring")) for name in imported)
    home = Path(os.environ["HOME"])
    assert not (home / ".awsafe").exists()
    assert not Path(os.environ["AWSAFE_FILE_DIR"]).exists()


def test_names_without_a_config_or_with_a_wrong_kind_print_nothing(world: dict[str, str]) -> None:
    assert run_awsafe("__complete", "sso-sessions").stdout == "corp\n"
    wrong = run_awsafe("__complete", "secrets")
    assert (wrong.returncode, wrong.stdout, wrong.stderr) == (2, "", "")
    none = run_awsafe("__complete", "profiles", env={"AWS_CONFIG_FILE": "/nonexistent/config"})
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "")
    assert CANARY not in run_awsafe("__complete", "profiles").stdout
