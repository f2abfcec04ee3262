"""config.names: the names completion offers, checked against the index (the parser's own rules)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awsafe.config.index import HeaderIndex
from awsafe.config.names import parse_section_names
from awsafe.paths import config_path, config_path_text

# Every header form the index accepts at the start of a line, comments and odd spacing included.
VARIED = (
    b"[profile first]\nregion = x\n"
    b"[default]\nregion = us-east-1\n\n"
    b"[profile a]\nrole_arn = arn:aws:iam::1:role/[profile not-a-header]\n"
    b"[profile b] # a comment\n"
    b"[profile c];note\n"
    b"[profile  spaced  ]\n"
    b"[profile with space]\n"
    b"[profile crlf]\r\nregion = y\r\n"
    b"[sso-session corp]\nsso_region = eu-west-1\n"
    b"[sso-session other] ; x\n"
    b"[plugins]\ncli_legacy_plugin_path = x\n"
    b"[services dev]\ns3 =\n  endpoint_url = http://127.0.0.1\n"
    b"[profile default]\nregion = eu-west-2\n"
    b"[profile test-1]\n[profile test-2]\n[profile tx]\n"
    b"[profile last]"
)


@pytest.mark.parametrize("kind", ["profile", "sso-session"])
@pytest.mark.parametrize("prefix", ["", "t", "test-", "d", "with ", "zzz", "c"])
def test_names_are_the_indexs_names(kind: str, prefix: str) -> None:
    expected = [name for name in HeaderIndex(VARIED, "config").names(kind) if name.startswith(prefix)]
    found = parse_section_names(VARIED, kind, prefix)
    if kind == "profile" and "default" in expected:
        expected.remove("default")
        expected.insert(0, "default")  # offered first, wherever it is written
    assert found == expected


def test_profile_names_in_the_generated_config() -> None:
    data = b"".join(b"[profile p-%06d]\nregion = x\n\n" % i for i in range(1000)) + b"[profile demo]\n"
    assert parse_section_names(data, "profile", "p-00099") == [f"p-{i:06d}" for i in range(990, 1000)]
    assert parse_section_names(data, "profile", "de") == ["demo"]
    assert len(parse_section_names(data, "profile")) == 1001


def test_what_is_not_a_header_is_not_offered() -> None:
    data = b"[profile real]\n[profile junk]after\n[profile cut #x]\nkey = [profile value]\n[profile]\n"
    assert parse_section_names(data, "profile") == ["real"]


def test_a_duplicate_is_offered_once_and_nothing_raises() -> None:
    # The commands report a duplicate or a broken header; completion only offers names.
    data = b"[profile a]\n[profile a]\n[profile b\n[profile c]\n"
    assert parse_section_names(data, "profile") == ["a", "c"]


def test_headers_the_regex_leaves_to_the_commands() -> None:
    # Indented headers and a space after '[' are headers to the index (configparser) but rare
    # enough that checking for them would cost completion more than the regex: not offered.
    data = b"[ profile spaced ]\n  [profile indented]\n[ default ]\n[profile plain]\n"
    assert HeaderIndex(data, "config").names("profile") == ["spaced", "indented", "default", "plain"]
    assert parse_section_names(data, "profile") == ["plain"]


def test_an_unknown_kind_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown section kind"):
        parse_section_names(b"", "plugins")


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"AWS_CONFIG_FILE": "/etc/aws/config"},
        {"AWS_CONFIG_FILE": "~/elsewhere/config"},
        {"AWS_CONFIG_FILE": ""},
    ],
)
def test_completion_reads_the_config_file_the_commands_read(environ: dict[str, str]) -> None:
    home = os.environ["HOME"]
    assert config_path_text(environ, home) == str(config_path(environ, Path(home)))
