"""parse_config: sections, values and the file:line of every problem."""

from __future__ import annotations

import pytest

from awsafe.config.parse import parse_config
from awsafe.errors import ConfigError
from tests.support.seed import EXTERNAL_ID, SEED_ROLE_ARN, seed_config

SEED = seed_config()


def test_seed_example_parses_exactly() -> None:
    config = parse_config(SEED, "cfg")
    test = config.profiles["test"]
    assert test.values == {
        "external_id": EXTERNAL_ID,
        "role_arn": SEED_ROLE_ARN,
        "role_session_name": "test",
        "source_profile": "demo",
        "region": "ap-northeast-2",
    }
    assert test.line == 4
    assert test.where("role_arn") == "cfg:6"


def test_hash_inside_value_is_kept_and_spaced_hash_is_a_comment() -> None:
    config = parse_config("[profile a]\nmfa_process = get#code  # the comment\n", "cfg")
    assert config.profiles["a"].values["mfa_process"] == "get#code"


def test_keys_are_case_insensitive_and_names_case_sensitive() -> None:
    config = parse_config("[profile Dev]\nREGION = eu-west-1\n[profile dev]\nregion = us-east-2\n", "c")
    assert config.profiles["Dev"].values["region"] == "eu-west-1"
    assert config.profiles["dev"].values["region"] == "us-east-2"


def test_nested_blocks_are_tolerated() -> None:
    text = "[profile a]\ns3 =\n  max_concurrent_requests = 20\nregion = us-west-2\n"
    config = parse_config(text, "c")
    assert config.profiles["a"].values["region"] == "us-west-2"


def test_sso_sessions_and_other_sections() -> None:
    text = (
        "[sso-session corp]\nsso_region = eu-west-1\n[plugins]\nx = y\n"
        "[services s]\nsts =\n  endpoint_url = http://x\n"
    )
    config = parse_config(text, "c")
    assert config.sso_sessions["corp"].values == {"sso_region": "eu-west-1"}
    assert list(config.profiles) == []


def test_default_and_profile_default_merge() -> None:
    config = parse_config("[default]\nregion = a\n[profile default]\noutput = json\n", "c")
    assert config.profiles["default"].values == {"region": "a", "output": "json"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("garbage\n", "c:1: text before any section"),
        ("[profile a]\nregion = x\n[profile b\nregion = y\n", "c:3"),
        ("[profile a]\nregion = x\nthis line has no equals\n", "c:3: cannot parse"),
        ("[profile a]\nregion = x\nregion = y\n", "c:3: key 'region' appears twice"),
        ("[profile a]\n[profile a]\n", "c:2: section [profile a] appears twice"),
    ],
)
def test_malformed_config_names_file_and_line(text: str, expected: str) -> None:
    # Sections are parsed when used (see test_lazy.py), so read every one of them.
    with pytest.raises(ConfigError) as caught:
        dict(parse_config(text, "c").profiles)
    assert str(caught.value).startswith(expected)
