"""`awsafe use` in real shells: bash, zsh, fish and nushell load `awsafe init SHELL`, switch the
shell itself to the seed role, run the AWS CLI in that same shell, and take it all back.

One shell process runs each script: `use` (the shell's variables are compared with those exec
gives its child: the same names set and removed) and the AWS CLI; a switch to `use --refresh`
with the endpoint's credentials due 2 s after each fetch (role sessions of 900 s,
AWS_MIN_TTL=898s), after which a later AWS CLI call in the same shell gets new ones without
re-running; then `use --unset`.
nushell comes from tests/js (npm ci, run by scripts/test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from awsafe.childenv import USE_ENDPOINT, USE_MARKER, render_child_environment, resolve_unset_change
from awsafe.cli.serve import ECS_VARIABLES
from awsafe.model import Credentials
from tests.support.running_agent import AgentPlace
from tests.support.worlds import BIN, EXTERNAL_ID, Seed

NU = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "@nushell" / "linux-x64" / "bin" / "nu"
DUMP = Path(__file__).resolve().parents[1] / "support" / "env_dump.py"
ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/seed-role/test"
# ended.py DUMPS RESULT: waits up to 10 s for the endpoint named in the last dump that has one to end
ENDED_SCRIPT = """
import json, os, sys, time
dumps = [json.loads(line)["environ"] for line in open(sys.argv[1])]
pid = int([d for d in dumps if "AWSAFE_USE_ENDPOINT" in d][-1]["AWSAFE_USE_ENDPOINT"].split(":")[0])
def alive():
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
deadline = time.monotonic() + 10
while alive() and time.monotonic() < deadline:
    time.sleep(0.05)
open(sys.argv[2], "w").write(f"{pid} {'alive' if alive() else 'ended'}")
"""


def _ended_script(tmp_path: Path) -> Path:
    path = tmp_path / "ended.py"
    path.write_text(ENDED_SCRIPT)
    return path


REQUIRED = os.environ.get("AWSAFE_TEST_JS") == "required"  # read before the autouse scrub
SHELLS = ("bash", "zsh", "fish", "nu")

# {init}: how the shell loads the function; {run}: a command that must succeed, else exit N.
LOAD = {
    "bash": 'eval "$(awsafe init bash)"',
    "zsh": 'eval "$(awsafe init zsh)"',
    "fish": "awsafe init fish | source",
    "nu": "source {init_file}",
}


def _must(shell: str, command: str, code: int) -> str:
    if shell == "fish":
        return f"{command}; or exit {code}"
    if shell == "nu":
        return command  # nushell stops at the first failing command by itself
    return f"{command} || exit {code}"


def _external(shell: str, command: str) -> str:
    return f"^{command}" if shell == "nu" else command


def _shell_argv(shell: str, script: Path) -> list[str]:
    if shell == "nu":
        if not NU.is_file():
            reason = f"nushell is not installed ({NU} missing); run `npm ci` in tests/js or scripts/test"
            if REQUIRED:
                pytest.fail(f"AWSAFE_TEST_JS=required but {reason}", pytrace=False)
            pytest.skip(reason)
        return [str(NU), "--no-config-file", str(script)]
    program = shutil.which(shell)
    if program is None:
        pytest.fail(f"{shell} is not installed (scripts/test installs it with apt)", pytrace=False)
    flags = {"bash": ["--norc", "--noprofile"], "zsh": ["-f"], "fish": ["--no-config"]}[shell]
    return [program, *flags, str(script)]


def _run_shell(
    shell: str, lines: list[str], tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    init_file = tmp_path / "init.nu"
    if shell == "nu":  # as docs/commands/init.md says: save once, source from config.nu
        init = subprocess.run(
            [str(BIN / "awsafe"), "init", "nu"], capture_output=True, text=True, check=True, env=env
        )
        init_file.write_text(init.stdout)
    script = tmp_path / f"script.{shell}"
    script.write_text("\n".join([LOAD[shell].format(init_file=init_file), *lines]) + "\n")
    return subprocess.run(
        _shell_argv(shell, script),
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no terminal: a prompt would fail, not hang
    )


def _shell_env(seed: Seed, **extra: str) -> dict[str, str]:
    env = {**os.environ, **seed.env, **extra}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _dumps(path: Path) -> list[dict[str, str]]:
    return [json.loads(line)["environ"] for line in path.read_text().splitlines()]


def _ours(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(("AWS_", "AWSAFE_"))}


def _export(shell: str, name: str, value: str) -> str:
    return {
        "fish": f"set -gx {name} {value}",
        "nu": f'$env.{name} = "{value}"',
    }.get(shell, f"export {name}={value}")


@pytest.mark.parametrize("shell", SHELLS)
def test_use_refresh_and_unset_in_one_shell(shell: str, seed: Seed, tmp_path: Path) -> None:
    seed.append_config("duration_seconds = 900\n")  # appended to [profile test]
    out = tmp_path / "env.jsonl"
    dump = _external(shell, f"{sys.executable} {DUMP} {out}")
    arn = _external(shell, "aws sts get-caller-identity --output text --query Arn")
    lines = [
        _must(shell, "awsafe use test", 11),
        _must(shell, arn, 12),
        dump,
        # switching a used shell: from keys to its own endpoint, due 2 s after each fetch
        _export(shell, "AWS_MIN_TTL", "898s"),
        # `use` took the passphrase out of the shell, as exec does for its child: a script gives it again
        _export(shell, "AWSAFE_FILE_PASSPHRASE", os.environ["AWSAFE_FILE_PASSPHRASE"]),
        _must(shell, "awsafe use --refresh test", 14),
        dump,
        _must(shell, arn, 15),
        "sleep 2.2sec" if shell == "nu" else "sleep 2.2",
        _must(shell, arn, 16),
        _must(shell, "awsafe use --unset", 13),
        dump,
        # while the shell still runs: --unset stopped the endpoint
        _external(shell, f"{sys.executable} {_ended_script(tmp_path)} {out} {tmp_path / 'ended'}"),
    ]
    # outer selectors and credentials that exec removes, and the user's own endpoint setting
    outer = {"AWS_PROFILE": "demo", "AWS_SECURITY_TOKEN": "outer-token", "AWS_SDK_LOAD_CONFIG": "1"}
    shell_env = _shell_env(seed, **outer)
    result = _run_shell(shell, lines, tmp_path, shell_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [ROLE_ARN] * 3
    used, refreshing, unset = _dumps(out)
    identities = [c.access_key_id for c in seed.moto.calls("GetCallerIdentity")]

    # `use`: what exec gives its child (childenv), and the marker
    keys = Credentials(
        used["AWS_ACCESS_KEY_ID"], used["AWS_SECRET_ACCESS_KEY"], used["AWS_SESSION_TOKEN"], None
    )
    by_exec = render_child_environment(shell_env, "test", keys, "ap-northeast-2", used.get("AWS_ACCOUNT_ID"))
    by_exec["AWS_CREDENTIAL_EXPIRATION"] = used["AWS_CREDENTIAL_EXPIRATION"]
    assert _ours(used) == {**_ours(by_exec), USE_MARKER: "test"}
    assert used[USE_MARKER] == used["AWS_VAULT"] == "test"
    assert used["AWS_REGION"] == used["AWS_DEFAULT_REGION"] == "ap-northeast-2"
    assert used["AWS_CREDENTIAL_EXPIRATION"]
    # removed as exec removes them; without the passphrase no program of the shell can unlock the vault
    assert not {*outer, "AWSAFE_FILE_PASSPHRASE"} & set(used)
    # what reached STS: AssumeRole with the external id, and the CLI signed with the shell's keys
    assume = seed.moto.calls("AssumeRole")
    assert {(c.params["RoleSessionName"], c.params["ExternalId"]) for c in assume} == {("test", EXTERNAL_ID)}
    assert identities[0] == used["AWS_ACCESS_KEY_ID"]

    # `use --unset`: every variable use sets is gone; the user's own settings stay
    assert not set(resolve_unset_change(ECS_VARIABLES).unset) & set(unset)
    assert unset["AWS_ENDPOINT_URL"] == seed.env["AWS_ENDPOINT_URL"]
    assert unset["PATH"] == used["PATH"]
    assert unset["AWS_MIN_TTL"] == "898s"

    # `use --refresh`: no keys in the shell, its own endpoint; the CLI run after the credentials
    # came due got new ones (a new AssumeRole), without `use` being run again
    assert set(ECS_VARIABLES) <= set(refreshing)
    assert refreshing["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(refreshing)
    assert refreshing["AWS_VAULT"] == refreshing[USE_MARKER] == "test"
    assert len(assume) >= 2
    assert len(identities) == 3 and identities[1] != identities[2]
    # --unset stopped the endpoint (the shell still ran)
    assert (tmp_path / "ended").read_text() == f"{refreshing[USE_ENDPOINT].split(':')[0]} ended"


def test_use_refresh_refreshes_through_the_agent_without_the_passphrase(
    seed: Seed, tmp_path: Path, agent_place: AgentPlace
) -> None:
    # No passphrase in the shell: only the agent can give the endpoint new credentials.
    seed.append_config("duration_seconds = 900\n")
    agent_place.start()
    arn = "aws sts get-caller-identity --output text --query Arn"
    out = tmp_path / "env.jsonl"
    lines = [
        _must("bash", "awsafe use --refresh test", 11),
        f"{sys.executable} {DUMP} {out}",
        _must("bash", arn, 12),
        "sleep 2.2",
        _must("bash", arn, 13),
    ]
    env = _shell_env(seed, AWS_MIN_TTL="898s")
    del env["AWSAFE_FILE_PASSPHRASE"]
    result = _run_shell("bash", lines, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [ROLE_ARN, ROLE_ARN]
    assert len(seed.moto.calls("AssumeRole")) >= 2
    first, second = (c.access_key_id for c in seed.moto.calls("GetCallerIdentity"))
    assert first != second
    # the endpoint ends with the shell
    ended = [sys.executable, str(_ended_script(tmp_path)), str(out), str(tmp_path / "ended")]
    subprocess.run(ended, check=True, timeout=30)
    assert (tmp_path / "ended").read_text().endswith(" ended")
