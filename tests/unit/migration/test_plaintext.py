"""The plaintext credentials file read line by line and rendered without the moved secrets."""

from __future__ import annotations

import pytest

from awsafe.errors import ConfigError
from awsafe.migration.plaintext import parse_credentials_text
from awsafe.model import Credentials

FILE = (
    b"# written by `aws configure`\r\n"
    b"[default]\r\n"
    b"aws_access_key_id = AKIADEFAULTDEFAULT01\r\n"
    b"aws_secret_access_key = default/secret\r\n"
    b"region = eu-west-1   ; kept as written\r\n"
    b"\n"
    b"; the CI user\n"
    b"[ci]\n"
    b"  AWS_SECRET_ACCESS_KEY: ci:secret=x\n"
    b"aws_access_key_id=AKIACICICICICICICI02\n"
    b"# nothing else here\n"
    b"[temporary]\n"
    b"aws_access_key_id = ASIATEMPTEMPTEMPTE03\n"
    b"aws_secret_access_key = temp/secret\n"
    b"aws_session_token = token\n"
    b"[half]\n"
    b"aws_access_key_id = AKIAHALFHALFHALFHA04\n"
    b"[no-keys]\n"
    b"output = json"
)


def test_finds_long_term_keys_and_says_why_others_stay() -> None:
    found = {item.profile: item for item in parse_credentials_text(FILE, "creds").found()}
    assert list(found) == ["default", "ci", "temporary", "half"]
    assert found["default"].credentials == Credentials("AKIADEFAULTDEFAULT01", "default/secret")
    assert found["ci"].credentials == Credentials("AKIACICICICICICICI02", "ci:secret=x")
    assert found["temporary"].credentials is None and "aws_session_token" in found["temporary"].why
    assert found["half"].credentials is None and "needs both" in found["half"].why


def test_renders_every_other_line_byte_for_byte() -> None:
    text = parse_credentials_text(FILE, "creds")
    rendered = text.render_without({"default", "ci"})
    kept = [line for line in FILE.splitlines(keepends=True) if b"DEFAULT01" not in line]
    kept = [line for line in kept if b"default/secret" not in line and b"CICI" not in line]
    kept = [line for line in kept if b"ci:secret" not in line]
    assert rendered == b"".join(kept)
    # the emptied [ci] keeps its header and its comments; the others are untouched
    assert b"[ci]\n# nothing else here\n" in rendered
    assert b"temp/secret" in rendered and b"AKIAHALF" in rendered
    assert text.render_without(set()) == FILE


def test_a_continued_secret_is_left_whole_and_a_gap_in_one_refused() -> None:
    data = b"[p]\naws_access_key_id = AKIAPPPPPPPPPPPPPP01\naws_secret_access_key = part1\n  part2\n"
    (found,) = parse_credentials_text(data, "creds").found()
    assert found.credentials is None and "continued" in found.why
    # a blank line inside the value: configparser keeps it, the scanner would not
    gap = data.replace(b"part1\n", b"part1\n\n")
    with pytest.raises(ConfigError, match=r"\[p\] aws_secret_access_key is written in a way"):
        parse_credentials_text(gap, "creds")


@pytest.mark.parametrize(
    "data",
    [
        b"[p]\naws_secret_access_key = one\n[p]\naws_secret_access_key = two\n",
        b"[p]\naws_secret_access_key = one\naws_secret_access_key = two\n",
        b"aws_secret_access_key = before-any-section\n",
        b"[p]\naws_secret_access_key\n",
    ],
    ids=["duplicate section", "duplicate key", "no section", "no delimiter"],
)
def test_a_file_the_readers_disagree_on_is_refused_without_quoting_it(data: bytes) -> None:
    with pytest.raises(ConfigError, match="left as it was") as caught:
        parse_credentials_text(data, "creds")
    for secret in ("one", "two", "before-any-section"):
        assert secret not in caught.value.message.replace("creds", "")


def test_default_is_a_plain_profile_not_inherited() -> None:
    data = (
        b"[DEFAULT]\naws_access_key_id = AKIADDDDDDDDDDDDDD01\naws_secret_access_key = d\n[x]\nregion = r\n"
    )
    (found,) = parse_credentials_text(data, "creds").found()
    assert found.profile == "DEFAULT"
