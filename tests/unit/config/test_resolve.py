"""resolve_profile / resolve_chain: precedence, includes, chains, loops and aws-vault #1195."""

from __future__ import annotations

import datetime as dt

import pytest

from awsafe.config.parse import parse_config
from awsafe.config.resolve import Overrides, resolve_chain, resolve_profile
from awsafe.errors import ConfigError, ProfileNotFoundError
from tests.support.seed import seed_config

ROLE = "arn:aws:iam::123456789012:role/r"


def config(text: str):  # type: ignore[no-untyped-def]
    return parse_config(text, "cfg")


def test_source_profile_beats_default_sso() -> None:
    """aws-vault #1195: SSO keys in [default] turned the seed's role profile into SSO."""
    cfg = config(
        "[default]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111111111111\nsso_role_name = Admin\nregion = us-east-1\n"
        # The seed's profiles, with no region on demo: it must come from [default].
        + seed_config(ROLE).replace("region=ap-northeast-2\n\n", "")
    )
    chain = resolve_chain(cfg, "test", {})
    test, demo = chain
    assert test.role_arn == ROLE and test.source_profile == "demo"
    assert not test.has_sso and not demo.has_sso
    assert test.region == "ap-northeast-2"
    assert demo.region == "us-east-1"  # non-source keys still come from [default]


def test_precedence_flag_env_profile_include_default() -> None:
    cfg = config(
        "[default]\nregion = d\nmfa_serial = arn:aws:iam::1:mfa/d\n"
        "[profile base]\nregion = inc\nduration_seconds = 1800\n"
        "[profile p]\ninclude_profile = base\n"
    )
    assert resolve_profile(cfg, "p", {}).region == "inc"
    assert resolve_profile(cfg, "p", {}).duration == dt.timedelta(seconds=1800)
    assert resolve_profile(cfg, "p", {}).mfa_serial == "arn:aws:iam::1:mfa/d"
    assert resolve_profile(cfg, "p", {"AWS_DEFAULT_REGION": "env2"}).region == "env2"
    assert resolve_profile(cfg, "p", {"AWS_REGION": "env", "AWS_DEFAULT_REGION": "env2"}).region == "env"
    assert (
        resolve_profile(cfg, "p", {"AWS_REGION": "env"}, overrides=Overrides(region="flag")).region == "flag"
    )


def test_own_keys_beat_include() -> None:
    cfg = config("[profile base]\nregion = inc\n[profile p]\ninclude_profile = base\nregion = own\n")
    assert resolve_profile(cfg, "p", {}).region == "own"


def test_target_only_env_overrides() -> None:
    cfg = config(f"[profile src]\n[profile p]\nrole_arn = {ROLE}\nsource_profile = src\n")
    env = {
        "AWS_ROLE_SESSION_NAME": "from-env",
        "AWS_SESSION_TAGS": "a=1,b=2",
        "AWS_TRANSITIVE_TAGS": "a",
    }
    p, src = resolve_chain(cfg, "p", env)
    assert p.role_session_name == "from-env"
    assert p.session_tags == (("a", "1"), ("b", "2"))
    assert p.transitive_session_tags == ("a",)
    assert src.role_session_name is None and src.session_tags == ()


def test_mfa_serial_env_applies_to_whole_chain() -> None:
    cfg = config(f"[profile src]\n[profile p]\nrole_arn = {ROLE}\nsource_profile = src\n")
    chain = resolve_chain(cfg, "p", {"AWS_MFA_SERIAL": "arn:aws:iam::1:mfa/x"})
    assert [p.mfa_serial for p in chain] == ["arn:aws:iam::1:mfa/x"] * 2


def test_chain_of_three_roles() -> None:
    cfg = config(
        "[profile user]\n"
        f"[profile r1]\nrole_arn = {ROLE}1\nsource_profile = user\n"
        f"[profile r2]\nrole_arn = {ROLE}2\nsource_profile = r1\n"
        f"[profile r3]\nrole_arn = {ROLE}3\nsource_profile = r2\n"
    )
    assert [p.name for p in resolve_chain(cfg, "r3", {})] == ["r3", "r2", "r1", "user"]


def test_source_profile_loop_is_named() -> None:
    cfg = config(
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}\nsource_profile = c\n"
        f"[profile c]\nrole_arn = {ROLE}\nsource_profile = a\n"
    )
    with pytest.raises(ConfigError, match="source_profile loop: a -> b -> c -> a"):
        resolve_chain(cfg, "a", {})


def test_self_source_profile_is_ignored() -> None:
    cfg = config(f"[profile a]\nrole_arn = {ROLE}\nsource_profile = a\n")
    (a,) = resolve_chain(cfg, "a", {})
    assert a.source_profile is None and a.role_arn == ROLE


def test_unknown_source_profile_names_file_and_line() -> None:
    cfg = config(f"[profile a]\nrole_arn = {ROLE}\nsource_profile = nope\n")
    with pytest.raises(ProfileNotFoundError, match=r"^cfg:3: source_profile 'nope'"):
        resolve_chain(cfg, "a", {})


def test_include_profile_loop() -> None:
    cfg = config("[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n")
    with pytest.raises(ConfigError, match="include_profile loop: a -> b -> a"):
        resolve_profile(cfg, "a", {})


def test_profile_without_section_is_marked_undefined() -> None:
    assert resolve_profile(config(""), "vault-only", {}).defined is False


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "role_arn = arn:aws:iam::123:user/x",
            "cfg:2: role_arn 'arn:aws:iam::123:user/x' is not an IAM role ARN",
        ),
        ("duration_seconds = 60", "cfg:2: duration_seconds must be between 900 and 43200"),
        ("duration_seconds = soon", "cfg:2: duration_seconds must be a whole number"),
        ("role_session_name = has space", "cfg:2: role_session_name 'has space' must be"),
        ("sts_regional_endpoints = sometimes", "cfg:2: sts_regional_endpoints must be"),
        ("session_tags = novalue", "cfg:2: session_tags entry 'novalue' is not key=value"),
        ("transitive_session_tags = a", "cfg:2: transitive_session_tags names a"),
    ],
)
def test_bad_values_name_file_and_line(line: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_profile(config(f"[profile p]\n{line}\n"), "p", {})
    assert str(caught.value).startswith(message)
