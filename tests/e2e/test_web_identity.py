"""Web identity (a token file, a token process, AWS_WEB_IDENTITY_TOKEN_FILE): the exact token,
role and session name reach AssumeRoleWithWebIdentity, unsigned; the session is cached and can
be the source of a further role; a missing or empty token is a clear error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.running_agent import AgentPlace
from tests.support.worlds import Seed

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWItaWRlbnRpdHktdGVzdCJ9.c2lnbmF0dXJlLXZhbHVl"


def _token_file(tmp_path: Path, text: str = TOKEN) -> Path:
    path = tmp_path / "token"
    path.write_text(text)
    return path


def _exported(seed: Seed, profile: str, env: dict[str, str] | None = None) -> dict[str, str]:
    result = run_awsafe("export", "--format", "json", profile, env={**seed.env, **(env or {})})
    assert result.returncode == 0, result.stderr
    document: dict[str, str] = json.loads(result.stdout)
    return document


def test_token_file_reaches_sts_exactly_and_is_cached(seed: Seed, tmp_path: Path) -> None:
    token = _token_file(tmp_path)
    seed.append_config(
        f"\n[profile web]\nrole_arn = {seed.role_arn}\nrole_session_name = pod-session\n"
        f"web_identity_token_file = {token}\nduration_seconds = 1800\n"
    )
    first = _exported(seed, "web")
    (call,) = seed.moto.calls("AssumeRoleWithWebIdentity")
    assert call.params["WebIdentityToken"] == TOKEN
    assert call.params["RoleArn"] == seed.role_arn
    assert call.params["RoleSessionName"] == "pod-session"
    assert call.params["DurationSeconds"] == "1800"
    assert call.access_key_id is None  # unsigned: the token is the proof
    assert _exported(seed, "web") == first  # the second run is a cache hit ...
    assert len(seed.moto.calls("AssumeRoleWithWebIdentity")) == 1  # ... with no second call
    sessions = run_awsafe("list", "--sessions", env=seed.env)
    assert sessions.stdout.startswith("web\tweb-identity "), sessions.stdout


def test_token_process_output_is_the_token(seed: Seed, tmp_path: Path) -> None:
    script = tmp_path / "token-process"
    script.write_text(
        f"#!{sys.executable}\nimport os\n"
        "assert 'AWSAFE_FILE_PASSPHRASE' not in os.environ, 'the vault passphrase leaked'\n"
        f"print({TOKEN!r})\n"
    )
    script.chmod(0o755)
    seed.append_config(
        f"\n[profile web]\nrole_arn = {seed.role_arn}\nweb_identity_token_process = {script} --audience sts\n"
    )
    _exported(seed, "web")
    (call,) = seed.moto.calls("AssumeRoleWithWebIdentity")
    assert call.params["WebIdentityToken"] == TOKEN  # the trailing newline is not the token's
    assert call.params["RoleArn"] == seed.role_arn
    assert call.params["RoleSessionName"].startswith("awsafe-")


def test_a_role_on_top_of_web_identity(seed: Seed, tmp_path: Path) -> None:
    token = _token_file(tmp_path)
    seed.append_config(
        f"\n[profile web]\nrole_arn = {seed.role_arn}\nweb_identity_token_file = {token}\n"
        f"[profile web-admin]\nrole_arn = {seed.role_arn}\nsource_profile = web\nexternal_id = x-1\n"
        "duration_seconds = 7200\n"
    )
    web = _exported(seed, "web")
    _exported(seed, "web-admin")
    assert len(seed.moto.calls("AssumeRoleWithWebIdentity")) == 1  # the web session came from the cache
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.access_key_id == web["AccessKeyId"]
    assert assume.session_token == web["SessionToken"]
    assert assume.params["ExternalId"] == "x-1"
    assert assume.params["DurationSeconds"] == "3600"  # role credentials: chaining, capped at 1 h


def test_environment_variables(seed: Seed, tmp_path: Path) -> None:
    token = _token_file(tmp_path)
    seed.append_config("\n[profile pod]\nregion = eu-west-1\n")
    env = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "AWS_ROLE_ARN": seed.role_arn,
        "AWS_ROLE_SESSION_NAME": "from-env",
    }
    _exported(seed, "pod", env)
    (call,) = seed.moto.calls("AssumeRoleWithWebIdentity")
    assert (call.params["WebIdentityToken"], call.params["RoleArn"], call.params["RoleSessionName"]) == (
        TOKEN,
        seed.role_arn,
        "from-env",
    )


def test_missing_or_empty_token_file_is_a_clear_error(seed: Seed, tmp_path: Path) -> None:
    empty = _token_file(tmp_path, "\n")
    missing = tmp_path / "absent"
    seed.append_config(
        f"\n[profile empty]\nrole_arn = {seed.role_arn}\nweb_identity_token_file = {empty}\n"
        f"[profile missing]\nrole_arn = {seed.role_arn}\nweb_identity_token_file = {missing}\n"
        f"[profile no-role]\nweb_identity_token_file = {empty}\n"
    )
    for profile, words in (("empty", "is empty"), ("missing", "cannot read")):
        result = run_awsafe("export", profile, env=seed.env)
        assert result.returncode == 5, result.stderr
        assert words in result.stderr and str(tmp_path) in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    result = run_awsafe("export", "no-role", env=seed.env)
    assert result.returncode == 3 and "no role_arn" in result.stderr, result.stderr
    assert seed.moto.calls("AssumeRoleWithWebIdentity") == []


def test_environment_variables_through_the_agent(seed: Seed, agent_place: AgentPlace, tmp_path: Path) -> None:
    token = _token_file(tmp_path)
    seed.append_config("\n[profile pod]\nregion = eu-west-1\n")
    agent_place.start(seed.env)
    env = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "AWS_ROLE_ARN": seed.role_arn,
        "AWSAFE_FILE_PASSPHRASE": "",  # the client cannot open the vault: the agent answers
    }
    _exported(seed, "pod", env)
    (call,) = seed.moto.calls("AssumeRoleWithWebIdentity")
    assert (call.params["WebIdentityToken"], call.params["RoleArn"]) == (TOKEN, seed.role_arn)


def test_a_token_process_runs_in_the_clients_environment_not_the_agents(
    seed: Seed, agent_place: AgentPlace, tmp_path: Path
) -> None:
    script = tmp_path / "token-process"
    script.write_text(f"#!{sys.executable}\nimport os\nprint(os.environ.get('CLIENT_TOKEN', ''))\n")
    script.chmod(0o755)
    seed.append_config(
        f"\n[profile web]\nrole_arn = {seed.role_arn}\nweb_identity_token_process = {script}\n"
    )
    agent_place.start({**seed.env, "CLIENT_TOKEN": "the-agents-token"})
    result = run_awsafe("--debug", "export", "web", env={**seed.env, "CLIENT_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert (
        "the agent declined: web_identity_token_process runs in the client's own environment" in result.stderr
    )
    (call,) = seed.moto.calls("AssumeRoleWithWebIdentity")
    assert call.params["WebIdentityToken"] == TOKEN
