"""Prompts stay with the person: an agent's MFA prompt is asked on the requesting client's own
terminal or prompt driver, once for many clients; and an agent starts by itself only after a
passphrase typed at a terminal."""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.test_sessions import sent
from tests.support.env import awsafe_executable, run_awsafe
from tests.support.running_agent import AgentPlace, wait_for
from tests.support.tty import run_in_pty
from tests.support.worlds import SERIAL, Seed

MFAUSER_SERIAL = "arn:aws:iam::123456789012:mfa/mfauser"
PASSPHRASE_PROMPT = "Enter passphrase to unlock the awsafe file vault"


def client_environ(seed: Seed, **extra: str) -> dict[str, str]:
    """The environment of a client run on a pty: no passphrase in it."""
    environ = {**os.environ, **seed.env, **extra}
    environ.pop("AWSAFE_FILE_PASSPHRASE", None)
    return environ


def test_the_agents_mfa_prompt_is_typed_on_the_clients_terminal(
    mfa_world: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    agent_place.start(mfa_world.env)
    out = tmp_path / "out.json"
    code, screen = run_in_pty(
        ["/bin/sh", "-c", f"exec {awsafe_executable()} export --format json admin > {out}"],
        client_environ(mfa_world),
        [(f"Enter MFA code for {SERIAL}", "987654")],
    )
    assert code == 0, screen
    assert PASSPHRASE_PROMPT not in screen  # the agent's vault: no unlock here
    assert json.loads(out.read_text())["SessionToken"]
    assert ("GetSessionToken", SERIAL, "987654", "28800") in sent(mfa_world.moto.calls())
    status = run_awsafe("agent", "status", "--profiles")
    assert status.returncode == 0 and "admin" in status.stdout + status.stderr


def test_twenty_cold_clients_make_one_session_token_call_and_one_prompt(
    mfa_world: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    counter = tmp_path / "mfa-calls"
    script = tmp_path / "mfa-code"
    script.write_text(
        f"#!{sys.executable}\nimport time\nopen({str(counter)!r}, 'a').write('x')\n"
        "time.sleep(0.5)\nprint('246810')\n"
    )
    script.chmod(0o755)
    mfa_world.append_config(f"mfa_process = {script}\n")  # to [profile mfauser]
    agent_place.start(mfa_world.env)
    no_passphrase = {**mfa_world.env, "AWSAFE_FILE_PASSPHRASE": ""}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(
                lambda _: run_awsafe("export", "--format", "json", "mfauser", env=no_passphrase, timeout=180),
                range(20),
            )
        )
    assert [r.returncode for r in results] == [0] * 20, [r.stderr for r in results if r.returncode]
    assert len({json.loads(r.stdout)["SessionToken"] for r in results}) == 1
    assert sent(mfa_world.moto.calls()) == [("GetSessionToken", MFAUSER_SERIAL, "246810", "3600")]
    assert counter.read_text() == "x"  # one prompt, run by one client


def _export_in_pty(seed: Seed, out: Path, **extra: str) -> tuple[int, str]:
    return run_in_pty(
        ["/bin/sh", "-c", f"exec {awsafe_executable()} export --format json test > {out}"],
        client_environ(seed, **extra),
        [(PASSPHRASE_PROMPT, "test-passphrase")],
    )


def test_a_passphrase_typed_at_the_terminal_starts_an_agent(
    seed: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    code, screen = _export_in_pty(seed, tmp_path / "out.json")
    assert code == 0, screen
    assert "started an agent; `awsafe agent stop` ends it" in screen
    assert agent_place.socket.exists()
    assert run_awsafe("agent", "status").returncode == 0
    # the next call has neither passphrase nor terminal: the agent answers it
    again = run_awsafe("export", "--format", "json", "test", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": ""})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads((tmp_path / "out.json").read_text())
    assert len(seed.moto.calls("AssumeRole")) == 1


def test_no_agent_starts_without_a_terminal_or_when_off(
    seed: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    from_environment = run_awsafe("export", "test", env=seed.env)  # the passphrase from the environment
    assert from_environment.returncode == 0, from_environment.stderr
    assert "started an agent" not in from_environment.stderr
    assert not agent_place.socket.exists()

    run_awsafe("clear", env=seed.env)
    code, screen = _export_in_pty(seed, tmp_path / "out.json", AWSAFE_AGENT="off")
    assert code == 0, screen
    assert PASSPHRASE_PROMPT in screen and "started an agent" not in screen
    assert not wait_for(agent_place.socket.exists, timeout=2)


def test_on_starts_an_agent_also_from_the_environment(seed: Seed, agent_place: AgentPlace) -> None:
    result = run_awsafe("export", "test", env={**seed.env, "AWSAFE_AGENT": "on"})
    assert result.returncode == 0, result.stderr
    assert "started an agent" in result.stderr
    assert run_awsafe("agent", "status").returncode == 0


def test_no_way_to_ask_for_a_code_is_the_same_error_with_the_agent(
    mfa_world: Seed, agent_place: AgentPlace
) -> None:
    """The client's own MFA source fails (no terminal, no mfa_process): its own error, as today."""
    plain = {**mfa_world.env, "PATH": "/usr/bin:/bin"}  # no prompt program to fall back on
    without_agent = run_awsafe("export", "admin", env=plain)
    agent_place.start(mfa_world.env)
    with_agent = run_awsafe("export", "admin", env={**plain, "AWSAFE_FILE_PASSPHRASE": ""})
    assert without_agent.returncode == with_agent.returncode == 6
    assert with_agent.stderr == without_agent.stderr
    assert mfa_world.moto.calls() == []


def test_an_sts_refusal_through_the_agent_is_the_commands_own_error(
    seed: Seed, agent_place: AgentPlace
) -> None:
    seed.moto.fail_next("AssumeRole", "AccessDenied", 403, "not allowed to assume seed-role")
    without_agent = run_awsafe("export", "test", env=seed.env)
    agent_place.start(seed.env)
    seed.moto.fail_next("AssumeRole", "AccessDenied", 403, "not allowed to assume seed-role")
    with_agent = run_awsafe("export", "test", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": ""})
    assert len(seed.moto.calls("AssumeRole")) == 2  # one each: the refusal is not asked again
    assert without_agent.returncode == with_agent.returncode == 7
    assert "AccessDenied" in with_agent.stderr
    assert with_agent.stderr == without_agent.stderr
