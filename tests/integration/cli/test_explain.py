"""`awsafe explain`: golden outputs for four kinds of profile, and its prediction checked against STS.

For each world (the seed, an MFA role chain, a role on top of IAM Identity Center, a profile
inheriting from [default]) the text and JSON of `explain` are compared with goldens (temporary
paths, moto's port and the generated key id normalised), then the profile really runs
(`export`) and the STS calls `explain --json` predicted must equal the calls recorded at moto,
field by field. Run with EXPLAIN_GOLDEN_UPDATE=1 to rewrite the goldens after a deliberate change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from awsafe.model import redact
from tests.support.cli import run_main
from tests.support.moto_server import Call, MotoServer
from tests.support.seed import EXTERNAL_ID
from tests.support.worlds import SERIAL, Seed, SsoWorld

GOLDEN = Path(__file__).parent / "golden"
FIELDS = ("operation", "RoleArn", "RoleSessionName", "ExternalId", "SerialNumber", "DurationSeconds")
GENERATED = re.compile(r"^awsafe-\d+$")


def _normalise(text: str, world: Seed | SsoWorld, key_id: str | None) -> str:
    text = text.replace(str(world.config), "<config>").replace(world.moto.url, "<moto>")
    text = text.replace(str(world.home), "<home>")
    return text if key_id is None else text.replace(redact(key_id), "<key id>")


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EXPLAIN_GOLDEN_UPDATE"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"explain output differs from {path}"


def _explain(
    world: Seed | SsoWorld, profile: str, name: str, key_id: str | None, *args: str
) -> dict[str, Any]:
    """Check both goldens of `explain PROFILE`; return its JSON document."""
    text = run_main("explain", profile, *args, env=world.env)
    assert text.returncode == 0, text.stderr
    document = run_main("explain", profile, "--json", *args, env=world.env)
    assert document.returncode == 0, document.stderr
    _check_golden(f"{name}.txt", _normalise(text.stdout, world, key_id))
    _check_golden(f"{name}.json", _normalise(document.stdout, world, key_id))
    debug = run_main("explain", profile, "--debug", *args, env=world.env)
    secrets = [EXTERNAL_ID, key_id or "\0", getattr(world, "secret_access_key", "\0")]
    for secret in secrets:
        assert secret not in text.stdout + document.stdout + debug.stdout + debug.stderr
    parsed: dict[str, Any] = json.loads(document.stdout)
    return parsed


def _predicted(document: dict[str, Any]) -> list[tuple[object, ...]]:
    return [tuple(c.get(f) for f in FIELDS) for c in document["calls_on_a_miss"] if c["service"] == "sts"]


def _recorded(calls: list[Call]) -> list[tuple[object, ...]]:
    def name(value: str | None) -> str | None:
        return "awsafe-<unix time>" if value and GENERATED.match(value) else value

    return [
        (
            c.action,
            c.params.get("RoleArn"),
            name(c.params.get("RoleSessionName")),
            redact(c.params["ExternalId"]) if "ExternalId" in c.params else None,
            c.params.get("SerialNumber"),
            int(c.params["DurationSeconds"]),
        )
        for c in calls
        if c.service == "sts"
    ]


def _run_and_compare(
    world: Seed | SsoWorld, profile: str, document: dict[str, Any], *args: str, skip_role: str = ""
) -> None:
    """Run ``profile`` (`export`) and compare the STS calls awsafe made with the prediction;
    ``skip_role``: a role the fake SSO assumes itself to mint its credentials (not awsafe's call)."""
    before = len(world.moto.calls())
    result = run_main("export", "--format", "json", profile, *args, env=world.env)
    assert result.returncode == 0, result.stderr
    made = [c for c in world.moto.calls()[before:] if not skip_role or c.params.get("RoleArn") != skip_role]
    assert _recorded(made) == _predicted(document)
    after = run_main("explain", profile, "--json", env=world.env)
    state = json.loads(after.stdout)
    assert all(c["made_now"] is False for c in state["calls_on_a_miss"]), after.stdout
    assert state["cache"]["sessions"] and all(s["cached"] and s["served"] for s in state["cache"]["sessions"])


def test_explain_the_seed_profile(seed: Seed) -> None:
    document = _explain(seed, "test", "explain-seed", seed.access_key_id)
    assert [hop["kind"] for hop in document["chain"]] == ["role", "stored keys"]
    _run_and_compare(seed, "test", document)


def test_explain_an_mfa_role_chain(mfa_world: Seed) -> None:
    moto = mfa_world.moto
    r1 = moto.create_role("r1", moto.user_arn("demo"), require_mfa=True)
    r2 = moto.create_role("r2", moto.role_arn("r1"), require_mfa=True)
    mfa_world.append_config(
        f"\n[profile r1]\nrole_arn = {r1}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        "duration_seconds = 7200\n"
        f"[profile r2]\nrole_arn = {r2}\nsource_profile = r1\nmfa_serial = {SERIAL}\n"
        "role_session_name = chain-top\n"
    )
    document = _explain(mfa_world, "r2", "explain-mfa-chain", mfa_world.access_key_id)
    assert document["session"]["kind"] == "GetSessionToken (MFA) -> AssumeRole -> AssumeRole"
    _run_and_compare(mfa_world, "r2", document, "--mfa-token", "123456")


def test_explain_a_role_on_top_of_sso(sso: SsoWorld) -> None:
    role_arn = sso.moto.create_role("on-sso", "arn:aws:iam::111111111111:root", external_id=EXTERNAL_ID)
    sso.config.write_text(
        sso.config.read_text() + f"\n[profile on-sso]\nrole_arn = {role_arn}\nsource_profile = sso-dev\n"
        f"external_id = {EXTERNAL_ID}\nrole_session_name = on-sso\nduration_seconds = 7200\n"
        "region = us-east-1\n"
    )
    document = _explain(sso, "on-sso", "explain-sso-role", None)
    assert [hop["kind"] for hop in document["chain"]] == ["role", "SSO"]
    sso_calls = [c for c in document["calls_on_a_miss"] if c["service"] == "sso"]
    assert [(c["AccountId"], c["RoleName"]) for c in sso_calls] == [("111111111111", "Admin")]
    _run_and_compare(sso, "on-sso", document, skip_role="arn:aws:iam::111111111111:role/Admin")
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert (fetch.params["account_id"], fetch.params["role_name"]) == ("111111111111", "Admin")
    [sign_in] = json.loads(run_main("explain", "on-sso", "--json", env=sso.env).stdout)["cache"]["sign_ins"]
    assert (sign_in["session"], sign_in["signed_in"]) == ("sso-session corp", True)
    assert document["cache"]["sign_ins"] == [
        {"session": "sso-session corp", "signed_in": False, "expires_at": None}
    ]


def test_explain_a_profile_inheriting_from_default(seed: Seed) -> None:
    moto: MotoServer = seed.moto
    role = moto.create_role("inherited", moto.user_arn("demo"), require_mfa=True)
    seed.write_config(
        "[default]\nregion = eu-west-1\n"
        f"mfa_serial = {SERIAL}\n"
        "sso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\n"
        + seed.config.read_text()
        + f"\n[profile base]\nrole_session_name = inherited\n\n"
        f"[profile inherits]\ninclude_profile = base\nrole_arn = {role}\nsource_profile = demo\n"
    )
    document = _explain(seed, "inherits", "explain-default", seed.access_key_id)
    settings = {s["key"]: s for s in document["chain"][0]["settings"]}
    assert (settings["region"]["via"], settings["mfa_serial"]["via"]) == ("[default]", "[default]")
    assert settings["role_session_name"]["via"] == "include_profile base"
    assert "sso_session" not in settings  # aws-vault #1195: never inherited
    assert any("#1195" in d["text"] for d in document["differences"])
    _run_and_compare(seed, "inherits", document, "--mfa-token", "123456")


def test_explain_with_a_locked_vault_says_so_and_asks_nothing(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWSAFE_FILE_PASSPHRASE")
    result = run_main("explain", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert "cache not inspected (vault locked)" in result.stdout
    assert "assumed that keys are stored for 'demo' only" in result.stdout
    assert result.stderr == "" and seed.moto.calls() == []


def test_explain_names_missing_keys_and_config_errors_as_exec_would(isolated_env: Path) -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True)
    config.write_text("[profile user]\nregion = eu-west-1\n\n[profile bad]\nrole_arn = nope\n")
    result = run_main("explain", "user")
    assert result.returncode == 0, result.stderr
    assert "a run would stop: no keys stored for 'user' (add them with: awsafe add user)" in result.stdout
    assert "Calls on a cache miss, in order:\n  1. sts:GetSessionToken  for 'user'" in result.stdout
    bad = run_main("explain", "bad")
    assert (bad.returncode, bad.stdout) == (3, "")
    assert bad.stderr.startswith(f"awsafe: {config}:5: role_arn 'nope' is not an IAM role ARN"), bad.stderr
