"""The one reader of user-typed durations and whole numbers: ASCII digits, short text, bounded."""

from __future__ import annotations

import datetime as dt

import pytest

from awsafe.cli.fastpath import min_ttl_seconds
from awsafe.durations import MAX_DURATION, parse_duration, parse_whole_number, render_duration
from awsafe.errors import ConfigError, UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3600", 3600), ("1h", 3600), ("90m", 5400), ("1h30m", 5400), ("1.5h", 5400), (" 15m ", 900), ("0", 0)],
)
def test_durations_aws_vault_accepts(text: str, seconds: int) -> None:
    assert parse_duration(text, "X") == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text",
    ["", "h", "1d", "-5m", "1h 30m", "١٢٣", "²", "1²h", "１h", "9" * 5000, "1e3", "nan", "inf", "1.h"],
)
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(UsageError, match="X: .* is not a duration"):
        parse_duration(text, "X")


def test_a_duration_longer_than_a_week_is_refused_before_any_arithmetic() -> None:
    assert parse_duration("168h", "X") == MAX_DURATION
    for text in ("169h", "999999999999", "999999999h999999999m"):
        with pytest.raises(UsageError, match="longer than 168h"):
            parse_duration(text, "X")


def test_the_caller_picks_the_error_class_and_the_rejected_text_is_cut_short() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_duration("x" * 1000, "cfg:3: duration", error=ConfigError)
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize("text", ["١٧", "²", "+17", "-1", "17.0", "", "9" * 5000])
def test_whole_numbers_are_ascii_digits_only(text: str) -> None:
    with pytest.raises(UsageError, match="must be a whole number from 14 to 20"):
        parse_whole_number(text, "N", 14, 20)


def test_whole_numbers_out_of_range_say_the_range() -> None:
    assert parse_whole_number(" 17 ", "N", 14, 20) == 17
    with pytest.raises(UsageError, match="N must be between 14 and 20, got 21"):
        parse_whole_number("21", "N", 14, 20)


def test_render_duration() -> None:
    assert [render_duration(dt.timedelta(seconds=s)) for s in (129600, 900, 90, 0)] == [
        "36h",
        "15m",
        "90s",
        "0s",
    ]


@pytest.mark.parametrize(("text", "seconds"), [("300", 300), ("1h30m", 5400), ("1.5s", 2), ("", 300)])
def test_the_fast_path_reads_aws_min_ttl_with_the_same_parser(text: str, seconds: int) -> None:
    assert min_ttl_seconds({"AWS_MIN_TTL": text}) == seconds


@pytest.mark.parametrize("text", ["²", "١٢٣", "9" * 5000, "99999999999999h", "soon"])
def test_the_fast_path_declines_a_malformed_aws_min_ttl(text: str) -> None:
    assert min_ttl_seconds({"AWS_MIN_TTL": text}) is None
