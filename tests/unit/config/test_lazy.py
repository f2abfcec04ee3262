"""Sections are found by an index and parsed when used: one profile of a big file
costs a few sections, errors elsewhere wait until used, and every error keeps its true line."""

from __future__ import annotations

import pytest

from awsafe.config import section as section_module
from awsafe.config.parse import parse_config
from awsafe.config.resolve import resolve_chain, resolve_profile
from awsafe.errors import ConfigError
from tests.support.seed import seed_config

SEED = seed_config() + "\n"


def generated(count: int, insert_at: int, inserted: str) -> str:
    """[default], two [sso-session]s, then ``count`` profiles alternating SSO and
    credential_process, with ``inserted`` before profile number ``insert_at``."""
    parts = ["[default]\nregion = us-east-1\n\n"]
    parts += [f"[sso-session corp{s}]\nsso_start_url = https://c{s}/start\nsso_region = us-east-1\n\n"
              for s in range(2)]  # fmt: skip
    for i in range(count):
        if i == insert_at:
            parts.append(inserted)
        if i % 2 == 0:
            parts.append(
                f"[profile sso-{i}]\nsso_session = corp{i % 2}\nsso_account_id = {100000000000 + i}\n"
                "sso_role_name = Admin\n\n"
            )
        else:
            parts.append(f"[profile proc-{i}]\ncredential_process = get-creds --n {i}\n\n")
    return "".join(parts)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the sections parsed, in order."""
    calls: list[str] = []
    original = section_module.SectionParser.parse

    def counting(self, kind, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(name)
        return original(self, kind, name, *args, **kwargs)

    monkeypatch.setattr(section_module.SectionParser, "parse", counting)
    return calls


def test_generated_20000_profile_config_resolves(parse_calls: list[str]) -> None:
    text = generated(20_000, 12_345, SEED)
    config = parse_config(text, "big")
    test, demo = resolve_chain(config, "test", {})
    assert (test.role_arn, test.source_profile, test.region) == (
        "arn:aws:iam::123456789012:role/seed-role",
        "demo",
        "ap-northeast-2",
    )
    assert test.where == f"big:{line_of(text, '[profile test]')}"
    assert demo.region == "ap-northeast-2"
    assert sorted(parse_calls) == ["default", "demo", "test"]  # not 20,000 sections

    sso = resolve_profile(config, "sso-19998", {})
    assert (sso.sso_session, sso.sso_account_id, sso.sso_role_name, sso.region) == (
        "corp0",
        "100000019998",
        "Admin",
        "us-east-1",  # from [default]
    )
    assert sso.where == f"big:{line_of(text, '[profile sso-19998]')}"
    assert resolve_profile(config, "proc-7", {}).credential_process == "get-creds --n 7"
    assert config.sso_sessions["corp1"].values["sso_start_url"] == "https://c1/start"

    names = list(config.profiles)
    assert len(config.profiles) == len(names) == 20_003
    assert names[:3] == ["default", "sso-0", "proc-1"]
    assert names[12_346:12_348] == ["demo", "test"] and names[-1] == "proc-19999"
    assert list(config.sso_sessions) == ["corp0", "corp1"]


def test_resolving_one_profile_parses_only_its_chain(parse_calls: list[str]) -> None:
    config = parse_config(generated(200, 100, SEED), "c")
    resolve_chain(config, "test", {})
    resolve_chain(config, "test", {})  # parsed sections are kept
    assert sorted(parse_calls) == ["default", "demo", "test"]


@pytest.mark.parametrize(
    ("broken", "bad_line", "message"),
    [
        ("[profile bad]\nthis line has no equals\n\n", 1, "cannot parse this line"),
        ("[profile bad]\nregion = a\nregion = b\n\n", 2, "key 'region' appears twice"),
        ("[profile bad]\nregion = a\n[profile oops\nregion = b\n\n", 2, "broken section header"),
    ],
)  # fmt: skip
def test_broken_unrelated_section_does_not_break_another_profile(
    broken: str, bad_line: int, message: str
) -> None:
    text = generated(2_000, 1_500, broken)
    config = parse_config(text, "c")
    assert [p.name for p in resolve_chain(config, "sso-10", {})] == ["sso-10"]
    assert "bad" in config.profiles  # existence needs no parse of the body
    with pytest.raises(ConfigError) as caught:
        config.profiles["bad"]
    assert str(caught.value).startswith(f"c:{line_of(text, '[profile bad]') + bad_line}: {message}")


def test_bad_value_deep_in_the_file_names_its_true_line() -> None:
    bad = "[profile deep]\nregion = x\nduration_seconds = 60\n\n"
    text = generated(20_000, 17_777, bad)
    config = parse_config(text, "cfg")
    with pytest.raises(ConfigError) as caught:
        resolve_profile(config, "deep", {})
    assert str(caught.value).startswith(
        f"cfg:{line_of(text, 'duration_seconds = 60')}: duration_seconds must be between"
    )


def test_listing_reports_every_broken_section() -> None:
    """`awsafe list` reads every profile, so it still meets every error."""
    config = parse_config(generated(50, 40, "[profile bad]\nnot a key\n\n"), "c")
    with pytest.raises(ConfigError, match="cannot parse this line"):
        dict(config.profiles)


def test_a_broken_header_is_reported_when_its_profile_is_used_or_names_are_listed() -> None:
    text = "[profile ok]\nregion = x\n[profile test\nregion = y\n[profile other]\n"
    config = parse_config(text, "c")
    assert config.profiles["other"].values == {}
    with pytest.raises(ConfigError, match=r"^c:3: broken section header '\[profile test' \(missing"):
        config.profiles.get("test")
    with pytest.raises(ConfigError, match=r"^c:3: broken section header"):
        config.profiles["ok"]  # the broken line sits inside [profile ok]
    with pytest.raises(ConfigError, match=r"^c:3: broken section header"):
        list(config.profiles)


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("[profile a]\nx = 1\n[profile b]\n[profile a]\n", "a", "c:4: section [profile a] appears twice"),
        ("[profile a]\n\n[profile  a]\n", "a", "c:3: section [profile  a] appears twice"),
        ("[default]\n[profile x]\n[default]\n", "default", "c:3: section [default] appears twice"),
        ("[sso-session s]\n[sso-session s]\n", "s", "c:2: section [sso-session s] appears twice"),
    ],
)  # fmt: skip
def test_duplicate_sections_name_both_lines(text: str, name: str, message: str) -> None:
    config = parse_config(text, "c")
    sections = config.sso_sessions if text.startswith("[sso") else config.profiles
    for use in (lambda: sections.get(name), lambda: list(sections)):
        with pytest.raises(ConfigError) as caught:
            use()
        assert str(caught.value) == f"{message} (first at line 1)"


def test_default_and_profile_default_merge_in_file_order() -> None:
    text = "[profile default]\nregion = a\noutput = json\n[profile x]\n[default]\nregion = b\n"
    config = parse_config(text, "c")
    default = config.profiles["default"]
    assert default.values == {"region": "b", "output": "json"}
    assert (default.where("region"), default.where("output")) == ("c:6", "c:3")
    assert list(config.profiles) == ["default", "x"]


def test_iteration_is_in_file_order_and_skips_other_sections() -> None:
    text = (
        "# top comment\n\n[profile b]\n[plugins]\ncli = x\n[sso-session z]\n[profile a]\n"
        "[services s]\n[default]\n[sso-session y]\n[profile c]\n"
    )
    config = parse_config(text, "c")
    assert list(config.profiles) == ["b", "a", "default", "c"]
    assert list(config.sso_sessions) == ["z", "y"]
    assert len(config.profiles) == 4 and "plugins" not in config.profiles
    assert list(config.profiles.keys()) == list(dict(config.profiles.items()))
