"""aws-vault's newer flags and variables (issue 13): `exec --json`, `AWS_VAULT_DURATION`, `version`.

Assertions are on what reached STS (moto's recorded calls), not only on exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsafe import __version__
from tests.support.cli import run_main
from tests.support.env import one_error_line, run_awsafe
from tests.support.running_agent import AgentPlace
from tests.support.worlds import Seed


def _sts(seed: Seed) -> list[tuple[str, str | None]]:
    return [(c.action, c.params.get("DurationSeconds")) for c in seed.moto.calls() if c.service == "sts"]


def test_exec_json_prints_credential_process_json_and_runs_nothing(seed: Seed, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_awsafe("exec", "--json", "test", env={**seed.env, "SHELL": f"/usr/bin/touch {marker}"})
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    assert set(document) >= {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert not marker.exists() and "starting" not in result.stderr  # no shell was started
    assert _sts(seed) == [("AssumeRole", "3600")]
    # the same session as export --format json: served from the cache, no second STS call
    exported = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert json.loads(exported.stdout) == document
    assert _sts(seed) == [("AssumeRole", "3600")]


def test_exec_short_j_is_json(seed: Seed) -> None:
    result = run_awsafe("exec", "-j", "demo", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert _sts(seed) == [("GetSessionToken", "3600")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--json", "--ecs-server"], "--json cannot be combined with --ecs-server"),
        (["--json", "--ec2-server"], "--json cannot be combined with --ec2-server"),
        (["--json", "test", "--", "true"], "--json prints credentials and runs no command"),
    ],
)
def test_exec_json_refuses_what_would_run_a_command(seed: Seed, argv: list[str], message: str) -> None:
    line = one_error_line(run_awsafe("exec", *argv, env=seed.env), 2)
    assert message in line
    assert seed.moto.calls() == []


@pytest.mark.parametrize(
    ("env", "argv", "seconds"),
    [
        ({"AWS_VAULT_DURATION": "2h"}, [], "7200"),
        ({"AWSAFE_DURATION": "30m", "AWS_VAULT_DURATION": "2h"}, [], "1800"),
        ({"AWS_VAULT_DURATION": "2h"}, ["--duration", "45m"], "2700"),
    ],
)
def test_duration_variables_are_the_default_of_duration(
    seed: Seed, env: dict[str, str], argv: list[str], seconds: str
) -> None:
    result = run_awsafe("export", *argv, "demo", env={**seed.env, **env})
    assert result.returncode == 0, result.stderr
    assert _sts(seed) == [("GetSessionToken", seconds)]
    # a second plain call with the variable set must not be served the session of another length
    again = run_awsafe("exec", "demo", "--", "true", env={**seed.env, **env})
    assert again.returncode == 0, again.stderr


def test_a_session_cached_without_the_duration_variable_is_not_served_with_it(seed: Seed) -> None:
    assert run_awsafe("export", "demo", env=seed.env).returncode == 0
    result = run_awsafe("export", "demo", env={**seed.env, "AWS_VAULT_DURATION": "2h"})
    assert result.returncode == 0, result.stderr
    assert _sts(seed) == [("GetSessionToken", "3600"), ("GetSessionToken", "7200")]


def test_a_bad_duration_variable_is_a_usage_error(seed: Seed) -> None:
    one_error_line(run_awsafe("export", "demo", env={**seed.env, "AWS_VAULT_DURATION": "5m"}), 2)
    assert seed.moto.calls() == []


def test_version_command_prints_what_version_flag_prints() -> None:
    command, flag, short = run_awsafe("version"), run_awsafe("--version"), run_awsafe("-v")
    assert command.returncode == flag.returncode == short.returncode == 0
    assert command.stdout == flag.stdout == short.stdout == f"awsafe {__version__}\n"
    assert command.stderr == ""


PRINT_ACCOUNT = ["--", "sh", "-c", 'echo "account=${AWS_ACCOUNT_ID-unset}"']


def test_a_role_profile_gives_its_role_account_in_every_format_and_to_the_child(seed: Seed) -> None:
    child = run_awsafe("exec", "test", *PRINT_ACCOUNT, env={**seed.env, "AWS_ACCOUNT_ID": "999999999999"})
    assert child.stdout.strip() == "account=123456789012", child.stderr  # the outer one is replaced
    outputs = {
        f: run_awsafe("export", "--format", f, "test", env=seed.env).stdout for f in ("env", "ini", "json")
    }
    assert "AWS_ACCOUNT_ID=123456789012\n" in outputs["env"]
    assert "aws_account_id = 123456789012\n" in outputs["ini"]
    assert json.loads(outputs["json"])["AccountId"] == "123456789012"
    assert _sts(seed) == [("AssumeRole", "3600")]


def test_a_user_without_aws_account_id_gets_none_and_the_outer_one_is_removed(seed: Seed) -> None:
    child = run_awsafe("exec", "demo", *PRINT_ACCOUNT, env={**seed.env, "AWS_ACCOUNT_ID": "999999999999"})
    assert child.stdout.strip() == "account=unset", child.stderr
    exported = run_awsafe("export", "--format", "json", "demo", env=seed.env)
    assert "AccountId" not in json.loads(exported.stdout)


def test_aws_account_id_key_names_a_users_account_and_is_not_inherited_from_default(seed: Seed) -> None:
    seed.write_config(
        "[default]\naws_account_id = 222222222222\n\n"
        "[profile demo]\naws_account_id = 123456789012\n\n"
        "[profile other]\nsource_profile = demo\n\n"  # no role: demo's credentials, demo's account
        "[profile plain]\nregion = eu-west-1\n"
    )
    for profile, expected in (("demo", "123456789012"), ("other", "123456789012")):
        child = run_awsafe("exec", profile, *PRINT_ACCOUNT, env=seed.env)
        assert child.stdout.strip() == f"account={expected}", child.stderr
    added = run_awsafe(
        "add",
        "plain",
        "--env",
        env={
            **seed.env,
            "AWS_ACCESS_KEY_ID": seed.access_key_id,
            "AWS_SECRET_ACCESS_KEY": seed.secret_access_key,
        },
    )
    assert added.returncode == 0, added.stderr
    plain = run_awsafe("exec", "plain", *PRINT_ACCOUNT, env=seed.env)
    assert plain.stdout.strip() == "account=unset", plain.stderr  # [default]'s key is not plain's


def test_a_malformed_aws_account_id_is_a_config_error(seed: Seed) -> None:
    seed.append_config("\n[profile odd]\nsource_profile = demo\naws_account_id = 12345\n")
    line = one_error_line(run_awsafe("export", "odd", env=seed.env), 3)
    assert "aws_account_id '12345' is not a 12-digit AWS account id" in line
    assert seed.moto.calls() == []


def test_the_duration_variable_reaches_sts_through_an_agent(seed: Seed, agent_place: AgentPlace) -> None:
    """The fast path asks an agent for a plain request; with AWS_VAULT_DURATION set it must not."""
    agent_place.start(seed.env)
    assert run_awsafe("export", "demo", env=seed.env).returncode == 0  # cached by the agent: 1 h
    result = run_awsafe("export", "demo", env={**seed.env, "AWS_VAULT_DURATION": "2h"})
    assert result.returncode == 0, result.stderr
    assert _sts(seed) == [("GetSessionToken", "3600"), ("GetSessionToken", "7200")]


def test_aws_vaults_backend_flags_are_accepted_before_and_after_the_command(
    seed: Seed, tmp_path: Path
) -> None:
    """--keychain, --secret-service-collection, --pass-* (issue 14): accepted by every command;
    they shape only their own backend, so the file vault of the seed still serves."""
    flags = ["--keychain", "aws-vault", "--secret-service-collection", "awsvault"]
    flags += ["--pass-dir", str(tmp_path / "ps"), "--pass-cmd", "pass", "--pass-prefix", "aws-vault"]
    before = run_main(*flags, "export", "--format", "json", "demo", env=seed.env)
    assert before.returncode == 0, before.stderr
    after = run_main("export", *flags, "--format", "json", "demo", env=seed.env)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)  # one session, cached
    assert _sts(seed) == [("GetSessionToken", "3600")]
    assert not (tmp_path / "ps").exists()  # the pass backend was not chosen: nothing made there
