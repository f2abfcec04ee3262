"""The lazy reader reads what configparser reads: header forms, indented headers,
line endings, encodings, and each of its shortcuts against the slow path."""

from __future__ import annotations

import configparser

import pytest

from awsafe.config import section as section_module
from awsafe.config.index import classify
from awsafe.config.parse import ConfigFile, parse_config
from awsafe.errors import ConfigError

# Valid, but every line is a corner of the grammar.
TRICKY = """\
# a comment before the first section
; and another

  [profile indented-first]
region = r0
[ profile  spaced ]
region = r1 ; inline comment
[profile commented] # after the header
mfa_process = get#code  # the comment
[profile tight];note
s3 =
  max_concurrent_requests = 20
  [profile continues-a-value]
Region: r2

  [profile after-blank]
KEY = v = w
[default]
output = json

	[sso-session tabbed]
sso_region = eu-west-1
nested =
    [sso-session also-a-value]
[plugins]
cli_legacy_plugin_path = x
[profile last]
credential_process = /bin/get --flag=a:b
"""


def sections_of(config: ConfigFile) -> dict[tuple[str, str], dict[str, str]]:
    return {
        **{("profile", n): dict(s.values) for n, s in config.profiles.items()},
        **{("sso-session", n): dict(s.values) for n, s in config.sso_sessions.items()},
    }


def configparser_reading(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """The reference: configparser over the whole file, as awsafe used to run it."""
    parser = configparser.RawConfigParser(
        default_section="\x00none",
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=("#", ";"),
        strict=True,
        interpolation=None,
        empty_lines_in_values=False,
    )
    parser.read_string(text)
    result: dict[tuple[str, str], dict[str, str]] = {}
    for header in parser.sections():
        key = classify(header)
        if key is not None:
            values = {k: v.strip() for k, v in parser.items(header)}
            result[key] = {**result.get(key, {}), **values}
    return result


def test_reads_what_configparser_reads() -> None:
    read = sections_of(parse_config(TRICKY, "c"))
    assert read == configparser_reading(TRICKY)
    assert ("profile", "continues-a-value") not in read
    assert read["profile", "tight"]["s3"] == "max_concurrent_requests = 20\n[profile continues-a-value]"
    assert ("profile", "after-blank") in read and ("sso-session", "tabbed") in read
    assert ("sso-session", "also-a-value") not in read


@pytest.mark.parametrize(
    ("name", "line"),
    [("indented-first", 4), ("spaced", 6), ("commented", 8), ("tight", 10), ("after-blank", 16),
     ("default", 18), ("last", 27)],
)  # fmt: skip
def test_each_header_form_is_found_before_and_after_listing(name: str, line: int) -> None:
    looked_up = parse_config(TRICKY, "c").profiles[name]
    listed = parse_config(TRICKY, "c")
    list(listed.profiles)
    assert looked_up == listed.profiles[name]
    assert looked_up.line == line


def test_a_name_that_ends_many_values_is_still_found() -> None:
    text = "".join(f"[profile p{i}]\nsso_role_name = admin\n" for i in range(500)) + "[profile admin]\n"
    config = parse_config(text, "c")
    assert config.profiles["admin"].line == 1001
    assert config.profiles["p499"].values == {"sso_role_name": "admin"}


@pytest.mark.parametrize(
    "body",
    [
        "region = x\nREGION: y\n",
        "a = 1\n\n   \nb=2\nc : d = e\n",
        "k = v # comment\n",
        "k = v;v\n",
        "s3 =\n  x = 1\n",
        " indented = 1\n",
        "no delimiter\n",
        "= no key\n",
        "k = \u00e9t\u00e9 \n",
        "\u00a0k = v\n",
    ],
)
def test_plain_sections_skip_configparser_and_read_the_same(
    body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(text: str) -> object:
        try:
            section = parse_config(text, "c").profiles["p"]
        except ConfigError as e:
            return str(e)
        return section.values, section.key_lines

    text = f"[profile p]\n{body}[profile q]\n"
    fast = read(text)
    monkeypatch.setattr(section_module, "_read_plain", lambda body, line: None)
    assert fast == read(text)


def test_crlf_and_lone_cr_line_endings() -> None:
    text = "[profile a]\r\nregion = x\r\n\r\n[profile b]\rregion = y\r"
    config = parse_config(text.encode(), "c")
    assert config.profiles["a"].values == {"region": "x"}
    assert config.profiles["b"].where("region") == "c:5"


def test_bytes_that_are_not_utf8_name_their_line() -> None:
    with pytest.raises(ConfigError, match=r"^c:3: not a UTF-8 text file \(invalid start byte at byte"):
        parse_config(b"[profile a]\nregion = x\nname = \xff\n", "c")
    assert parse_config("[profile \u00e9]\nregion = \u00fc\n".encode(), "c").profiles["\u00e9"].values == {
        "region": "\u00fc"
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# only comments\n\n; here\n", None),
        ("\n# c\n  [profile a]\n", None),
        ("# c\nregion = x\n[profile a]\n", "c:2: text before any section"),
        ("[profile a\nregion = x\n[profile b]\n", "c:1: broken section header '[profile a' (missing ']')"),
        ("[profile a] trailing\n[profile b]\n", "c:1: broken section header '[profile a] trailing'"),
    ],
)
def test_text_before_the_first_section_is_checked_at_once(text: str, expected: str | None) -> None:
    if expected is None:
        parse_config(text, "c")
        return
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c")
    assert str(caught.value).startswith(expected)
