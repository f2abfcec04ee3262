"""Which IAM Identity Center a profile uses: [sso-session] merging, legacy keys, validation."""

from __future__ import annotations

import pytest

from awsafe.config.parse import parse_config
from awsafe.config.resolve import resolve_chain, resolve_profile
from awsafe.errors import ConfigError
from awsafe.sso.settings import SsoEndpoints, named_session, role_of, session_of

SESSION = (
    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
    "sso_registration_scopes = sso:account:access\n"
)


def test_profile_takes_start_url_region_and_scopes_from_its_sso_session() -> None:
    cfg = parse_config(
        SESSION + "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n",
        "cfg",
    )
    role = role_of(resolve_profile(cfg, "dev", {}))
    assert role.session.start_url == "https://corp.awsapps.com/start"
    assert role.session.region == "eu-west-1"
    assert role.session.name == "corp" and role.session.cache_name == "corp"
    assert role.session.refreshable
    assert (role.account_id, role.role_name) == ("111111111111", "Admin")


def test_sso_session_without_scopes_defaults_to_refreshable_access() -> None:
    cfg = parse_config("[sso-session s]\nsso_start_url = https://x/start\nsso_region = us-east-1\n", "cfg")
    assert named_session(cfg, "s").scopes == ("sso:account:access",)


def test_legacy_inline_keys_are_keyed_on_the_start_url_and_not_refreshable() -> None:
    cfg = parse_config(
        "[profile old]\nsso_start_url = https://old/start\nsso_region = us-east-2\n"
        "sso_account_id = 222222222222\nsso_role_name = ReadOnly\n",
        "cfg",
    )
    session = session_of(resolve_profile(cfg, "old", {}))
    assert session.name is None and session.cache_name == "https://old/start"
    assert not session.refreshable
    assert "https://old/start" not in session.item_id


def test_missing_sso_session_section_names_the_line() -> None:
    cfg = parse_config("[profile dev]\nsso_session = nope\nsso_account_id = 111111111111\n", "cfg")
    with pytest.raises(ConfigError, match=r"cfg:2: sso_session 'nope' has no \[sso-session nope\]"):
        resolve_profile(cfg, "dev", {})


def test_a_profile_contradicting_its_session_is_refused() -> None:
    cfg = parse_config(SESSION + "[profile dev]\nsso_session = corp\nsso_region = us-east-1\n", "cfg")
    with pytest.raises(ConfigError, match="sso_region differs"):
        resolve_profile(cfg, "dev", {})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sso_session = corp\nsso_role_name = Admin\n", "needs sso_account_id"),
        ("sso_session = corp\nsso_account_id = 12\nsso_role_name = A\n", "must be 12 digits"),
        ("sso_account_id = 111111111111\nsso_role_name = A\n", "needs sso_start_url, sso_region"),
    ],
)
def test_incomplete_sso_profiles_are_config_errors(body: str, message: str) -> None:
    cfg = parse_config(SESSION + "[profile dev]\n" + body, "cfg")
    with pytest.raises(ConfigError, match=message):
        role_of(resolve_profile(cfg, "dev", {}))


def test_sso_keys_in_default_do_not_make_a_role_profile_sso() -> None:
    """aws-vault #1195 with an sso-session: the role profile still assumes its role."""
    cfg = parse_config(
        SESSION + "[default]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = X\n"
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
        "[profile test]\nrole_arn = arn:aws:iam::444444444444:role/r\nsource_profile = dev\n",
        "cfg",
    )
    test, dev = resolve_chain(cfg, "test", {})
    assert not test.has_sso and test.role_arn
    assert role_of(dev).account_id == "111111111111"


def test_endpoints_follow_botocore_precedence() -> None:
    session = named_session(parse_config(SESSION, "cfg"), "corp")
    assert SsoEndpoints.from_environ({}).oidc(session).url is None
    env = {"AWS_ENDPOINT_URL": "http://common", "AWS_ENDPOINT_URL_SSO": "http://portal"}
    endpoints = SsoEndpoints.from_environ(env)
    assert (endpoints.oidc(session).url, endpoints.portal(session).url) == ("http://common", "http://portal")
    assert endpoints.portal(session).region == "eu-west-1"
    ignored = SsoEndpoints.from_environ({**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})
    assert ignored.portal(session).url is None
