"""Commands through a real agent on a real socket: they work without the passphrase, and without
a usable agent (none, stale, killed, stopped, another vault's) they do exactly what they did."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_hot_path import HEAVY, run_traced
from tests.support.env import awsafe_executable, caller_identity, run_awsafe, start_awsafe
from tests.support.running_agent import AgentPlace
from tests.support.worlds import BIN, Seed

ROLE_ARN = "arn:aws:sts::123456789012:assumed-role/seed-role/test"


def sts_calls(seed: Seed) -> list[tuple[str, str | None]]:
    return [(c.action, c.access_key_id) for c in seed.moto.calls() if c.service == "sts"]


def without_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWSAFE_FILE_PASSPHRASE")


def test_exec_and_credential_process_work_through_the_agent_without_a_passphrase(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    assert "AWSAFE_FILE_PASSPHRASE" not in os.environ

    result = caller_identity("test", seed.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == ROLE_ARN
    # what reached STS: one AssumeRole, signed by demo's long-term key, made by the agent
    assert sts_calls(seed)[0] == ("AssumeRole", seed.access_key_id)
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole", "GetCallerIdentity"]

    seed.append_config(
        f"\n[profile test-sdk]\ncredential_process = {BIN / 'awsafe'} export --format json test\n"
        "region = ap-northeast-2\n"
    )
    script = (
        "import boto3; "
        "print(boto3.Session(profile_name='test-sdk').client('sts').get_caller_identity()['Arn'])"
    )
    sdk = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **seed.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == ROLE_ARN
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole", "GetCallerIdentity", "GetCallerIdentity"]

    status = run_awsafe("agent", "status", "--profiles")
    assert status.returncode == 0 and "test" in status.stdout + status.stderr

    assert agent_place.stop().returncode == 0
    assert not agent_place.socket.exists()
    # no agent, no passphrase, no terminal: the error of today
    alone = run_awsafe("export", "test", env=seed.env)
    assert alone.returncode == 9, alone.stderr
    assert "passphrase" in alone.stderr and "Traceback" not in alone.stderr
    # and with the passphrase the command unlocks by itself again
    again = run_awsafe("export", "test", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": "test-passphrase"})
    assert again.returncode == 0, again.stderr


def test_a_cache_hit_through_the_agent_imports_nothing_heavy(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    first = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert first.returncode == 0, first.stderr
    hit, modules = run_traced(seed, "export", "--format", "json", "test")
    assert hit.returncode == 0, hit.stderr
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))
    assert "awsafe.agentlink.lean" in modules  # answered by the agent: there is no passphrase here
    # the agent rendered it: neither json (nor re, enum with it) nor socket.py on the client
    assert modules.isdisjoint({"json", "re", "enum", "socket", "datetime"}), sorted(modules)
    assert json.loads(hit.stdout) == json.loads(first.stdout)
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


@pytest.mark.parametrize("format_name", ["env", "export-env", "ini", "json"])
def test_what_the_agent_renders_is_what_the_command_prints_by_itself(
    seed: Seed, agent_place: AgentPlace, format_name: str
) -> None:
    args = ("export", "--format", format_name, "test")
    by_itself = run_awsafe(*args, env={**seed.env, "AWSAFE_AGENT": "off"})
    assert by_itself.returncode == 0, by_itself.stderr
    agent_place.start(seed.env)
    through_agent, modules = run_traced(seed, *args, env={"AWSAFE_FILE_PASSPHRASE": ""})
    assert through_agent.returncode == 0, through_agent.stderr
    assert "awsafe.agentlink.lean" in modules and "json" not in modules
    assert through_agent.stdout == by_itself.stdout
    assert "123456789012" in through_agent.stdout  # AWS_ACCOUNT_ID / AccountId, rendered by the agent
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


def test_exec_through_the_agent_gives_the_child_the_account_id(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    printer = [sys.executable, "-c", "import os; print(os.environ.get('AWS_ACCOUNT_ID'))"]
    by_itself = run_awsafe("exec", "test", "--", *printer, env={**seed.env, "AWSAFE_AGENT": "off"})
    assert by_itself.stdout.strip() == "123456789012", by_itself.stderr
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    through_agent, modules = run_traced(seed, "exec", "test", "--", *printer)
    assert through_agent.returncode == 0, through_agent.stderr
    assert "awsafe.agentlink.client" in modules  # the fast path's exec, answered by the agent
    assert through_agent.stdout == by_itself.stdout
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


def test_exec_no_session_of_a_user_is_declined_and_served_by_the_client(
    seed: Seed, agent_place: AgentPlace
) -> None:
    agent_place.start(seed.env)
    printer = [sys.executable, "-c", "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"]
    result = run_awsafe("--debug", "exec", "--no-session", "demo", "--", *printer, env=seed.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == seed.access_key_id  # the long-term key, from the client's own vault
    assert "the agent declined: needs long-term keys" in result.stderr
    # and without the passphrase the client cannot serve it: the agent did not hand the keys out
    no_passphrase = {**seed.env, "AWSAFE_FILE_PASSPHRASE": ""}
    alone = run_awsafe("exec", "--no-session", "demo", "--", *printer, env=no_passphrase)
    assert alone.returncode == 9, alone.stderr
    assert seed.access_key_id not in alone.stdout


def _export_debug(seed: Seed) -> subprocess.CompletedProcess[str]:
    return run_awsafe("--debug", "export", "--format", "json", "test", env=seed.env, timeout=60)


def test_without_an_agent_the_command_serves_itself_and_says_why(seed: Seed, agent_place: AgentPlace) -> None:
    result = _export_debug(seed)
    assert result.returncode == 0, result.stderr
    assert "no socket at" in result.stderr
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


def test_a_stale_socket_file_is_passed_over(seed: Seed, agent_place: AgentPlace) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(agent_place.socket))
    stale.close()  # the file stays, nobody listens
    started = time.monotonic()
    result = _export_debug(seed)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    assert "cannot connect" in result.stderr
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


def test_an_agent_for_another_vault_is_passed_over(
    seed: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    agent_place.start({**seed.env, "AWSAFE_FILE_DIR": str(tmp_path / "another-vault")})
    result = _export_debug(seed)
    assert result.returncode == 0, result.stderr
    assert "the agent declined: another vault" in result.stderr
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]


def test_a_hung_agent_costs_a_short_timeout(seed: Seed, agent_place: AgentPlace) -> None:
    agent_place.start(seed.env)
    pid = agent_place.pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = _export_debug(seed)
        took = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.returncode == 0, result.stderr
    assert "timeout" in result.stderr
    assert took < 15, took
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole"]  # made by the client itself


def test_an_agent_killed_mid_request_leaves_the_client_to_serve_itself(
    seed: Seed, agent_place: AgentPlace
) -> None:
    agent_place.start(seed.env)
    pid = agent_place.pid()
    assert pid is not None
    seed.moto.delay_next("AssumeRole", 3.0)  # the agent's request hangs at STS ...
    client = start_awsafe("--debug", "export", "--format", "json", "test", env=seed.env)
    deadline = time.monotonic() + 20
    while not seed.moto.calls("AssumeRole") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seed.moto.calls("AssumeRole"), "the agent never called STS"
    os.kill(pid, signal.SIGKILL)  # ... and the agent dies in the middle of it
    out, err = client.communicate(timeout=60)
    assert client.returncode == 0, err
    assert json.loads(out)["SessionToken"]
    assert "eof" in err or "connection" in err
    assert len(seed.moto.calls("AssumeRole")) == 2  # the agent's, then the client's own


ECS_CHILD = r"""
import json, os, time, urllib.request
import boto3
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def fetch():
    request = urllib.request.Request(uri, headers={"Authorization": token})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
first = fetch()
time.sleep(3)  # AWS_MIN_TTL is reached: the endpoint refreshes, through the agent
second = fetch()
print(json.dumps({"same": first == second, "arn": boto3.client("sts").get_caller_identity()["Arn"]}))
"""


def test_an_ecs_endpoint_refreshes_through_the_agent(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    child = tmp_path / "child.py"
    child.write_text(ECS_CHILD)
    result = run_awsafe(
        "--debug", "exec", "--ecs-server", "test", "--", sys.executable, str(child), env=seed.env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"same": True, "arn": ROLE_ARN}
    assert "agent: served 'test'" in result.stderr
    assert [c[0] for c in sts_calls(seed)] == ["AssumeRole", "GetCallerIdentity"]


def test_a_lazy_endpoint_with_an_agent_does_not_unlock_the_vault(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    probe = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    result = run_awsafe(
        "exec", "--ecs-server", "--lazy", "test", "--", sys.executable, "-c", probe, env=seed.env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ROLE_ARN


def test_off_never_asks_the_agent(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_place.start(seed.env)
    without_passphrase(monkeypatch)
    for args in (("export", "test"), ("--debug", "export", "test")):  # the fast path, the full path
        result = run_awsafe(*args, env={**seed.env, "AWSAFE_AGENT": "off"})
        assert result.returncode == 9, result.stderr  # the vault's passphrase error of today
        assert "passphrase" in result.stderr
    assert seed.moto.calls() == []
    assert run_awsafe("export", "test", env={**seed.env, "AWSAFE_AGENT": "sometimes"}).returncode == 2


def test_a_relative_file_dir_names_the_same_vault_for_the_agent_and_its_clients(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the agent works in / once started, where a relative path names another vault."""
    monkeypatch.setenv("AWSAFE_FILE_DIR", ".awsafe/vault")  # relative to HOME, where both start
    environ = {**os.environ, **seed.env}

    def awsafe(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(awsafe_executable()), *args],
            env={**environ, **extra},
            cwd=seed.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    started = awsafe("agent", "start")
    assert started.returncode == 0, started.stderr
    served = awsafe("export", "test", AWSAFE_FILE_PASSPHRASE="")
    assert served.returncode == 0, served.stderr
