"""explain_profile without a socket: the kinds of profile the integration goldens do not cover,
and resolve_settings' origins. The calls come from the chain builder's own tree."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from awsafe.config.parse import parse_config
from awsafe.config.resolve import Overrides, resolve_settings
from awsafe.credentials.outer import OuterSources
from awsafe.credentials.rules import SessionOptions, endpoint_for_profile
from awsafe.credentials.stored import PREFIX, StoredKeys
from awsafe.explain.render import render_json, render_text
from awsafe.explain.report import Explanation, VaultView, explain_profile
from awsafe.vault.memory import MemoryStore

DEFAULTS = SessionOptions()
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
ROLE = "arn:aws:iam::123456789012:role/r"
CONFIG = f"""[default]
region = eu-west-1
credential_process = never-inherited

[profile user]
mfa_serial = arn:aws:iam::123456789012:mfa/user

[profile pass]
source_profile = user

[profile proc]
credential_process = get-creds --json

[profile on-proc]
role_arn = {ROLE}
source_profile = proc

[profile web]
role_arn = {ROLE}
web_identity_token_file = /run/token
duration_seconds = 7200

[profile long]
role_arn = {ROLE}
source_profile = user
mfa_serial = arn:aws:iam::123456789012:mfa/user
duration_seconds = 7200
"""


def _explain(name: str, options: SessionOptions = DEFAULTS) -> Explanation:
    store = MemoryStore()
    store.set(
        PREFIX + "user", json.dumps({"AccessKeyId": "AKIAUSERKEY000001234", "SecretAccessKey": "s"}).encode()
    )
    return explain_profile(
        parse_config(CONFIG, "/c"),
        name,
        {},
        overrides=Overrides(),
        options=options,
        endpoint_for=endpoint_for_profile({}),
        clock=lambda: NOW,
        outer=OuterSources(),
        vault=VaultView("the memory vault", StoredKeys(store)),
    )


def _calls(e: Explanation) -> list[tuple[str, str | None, int | None]]:
    return [(c.operation, c.mfa_serial, c.duration and int(c.duration.total_seconds())) for c in e.calls]


def test_a_pass_through_profile_gets_a_session_on_its_users_keys_with_its_own_serial() -> None:
    e = _explain("pass")
    assert [h.kind for h in e.hops] == ["pass-through", "stored keys"]
    assert _calls(e) == [("GetSessionToken", None, 3600)]
    assert "pass-through profile" in e.reasons[0][0]


def test_no_session_hands_out_the_keys_themselves() -> None:
    e = _explain("user", SessionOptions(no_session=True))
    assert e.calls == [] and e.session == "the long-term keys themselves (no session: --no-session)"


def test_a_role_over_credential_process_runs_nothing_and_predicts_the_role() -> None:
    e = _explain("on-proc")
    assert [h.kind for h in e.hops] == ["role", "credential_process"]
    assert [leaf.kind for leaf in e.leaves] == ["credential_process"]
    assert _calls(e) == [("AssumeRole", None, 3600)]


def test_web_identity_is_not_capped() -> None:
    e = _explain("web")
    assert [h.kind for h in e.hops] == ["web identity"]
    assert _calls(e) == [("AssumeRoleWithWebIdentity", None, 7200)]
    assert e.calls[0].session_name == "awsafe-<unix time>"


def test_a_role_over_1h_with_mfa_sends_the_code_on_assume_role() -> None:
    e = _explain("long")
    assert _calls(e) == [("AssumeRole", "arn:aws:iam::123456789012:mfa/user", 7200)]
    assert any("more than a role assumed with a session token" in r for r in e.reasons[0])


@pytest.mark.parametrize("render", [render_text, render_json])
def test_keys_are_shown_masked_and_no_look_up_claims_nothing_cached(render: object) -> None:
    out = render(_explain("long"))  # type: ignore[operator]
    assert "cache not inspected (vault locked)" in out and "AKIAUSERKEY000001234" not in out
    assert "stored keys in the memory vault: 'user' (****************1234)" in out


def test_settings_say_where_each_value_came_from() -> None:
    config = parse_config(CONFIG + "[profile inc]\ninclude_profile = proc\n", "/c")
    settings = {s.key: s for s in resolve_settings(config, "inc", {"AWS_REGION": "ap-south-1"})}
    assert (settings["credential_process"].where, settings["credential_process"].via) == (
        "/c:12",
        "include_profile proc",
    )
    assert (settings["region"].where, settings["region"].via) == (
        "environment variable AWS_REGION",
        "environment",
    )
    default = {s.key: s for s in resolve_settings(config, "user", {})}
    assert (default["region"].where, default["region"].via) == ("/c:2", "[default]")
    assert "credential_process" not in default  # never from [default] (aws-vault #1195)
