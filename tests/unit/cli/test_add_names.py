"""`add` refuses profile names that would break ~/.aws/config (or inject a section into it) with
one clear line and nothing written, and takes every ordinary name. Through main() in-process:
nothing here needs a real process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.env import one_error_line, write_config

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "prompted/Secret+Value0123456789abcdefghij"


def _add(profile: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_main(
        "add", profile, "--env", *flags, env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": "s3cret"}
    )


def test_add_never_takes_a_secret_from_argv() -> None:
    result = run_main("add", "x", SECRET)
    assert result.returncode == 2
    assert SECRET not in result.stderr


# -- profile names that would break ~/.aws/config ---------------------------------------------

BAD_NAMES = {
    "closing bracket": "x]",
    "injected section": "x]\n[profile evil]\ncredential_process = /tmp/evil",
    "semicolon": "a;b",
    "hash": "a#b",
    "newline": "a\nb",
    "carriage return": "a\rb",
    "leading space": " lead",
    "trailing space": "trail ",
    "empty": "",
    "blank": "   ",
    "opening bracket": "[x",
    "line separator": "a\u2028b",
}


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
@pytest.mark.parametrize("flags", [[], ["--no-add-config"]], ids=["add-config", "no-add-config"])
def test_add_refuses_a_profile_name_that_breaks_the_config(name: str, flags: list[str]) -> None:
    write_config("[profile demo]\nregion = us-east-1\n")
    before = Path(os.environ["AWS_CONFIG_FILE"]).read_bytes()
    line = one_error_line(_add(name, *flags), 2)
    assert line.startswith("awsafe: a profile name cannot"), line
    assert Path(os.environ["AWS_CONFIG_FILE"]).read_bytes() == before
    listed = run_main("list", "--credentials")
    assert listed.returncode == 0 and listed.stdout == ""  # nothing stored under it


def test_add_still_takes_ordinary_names() -> None:
    for name in ("dev", "my-team.prod@eu", "with inner space", "default", "ünïcode"):
        result = _add(name)
        assert result.returncode == 0, result.stderr
    text = Path(os.environ["AWS_CONFIG_FILE"]).read_text()
    assert "[profile with inner space]\n" in text and "[default]\n" in text and "[profile ünïcode]\n" in text
