"""parse_mfa_code: exactly six ASCII digits, and a wrong answer that might be a secret is never shown."""

from __future__ import annotations

import pytest

from awsafe.errors import MfaError
from awsafe.prompts.mfa import parse_mfa_code


@pytest.mark.parametrize("raw", ["123456", " 123456\n", "\t000000\r\n"])
def test_six_digits_after_stripping_are_a_code(raw: str) -> None:
    assert parse_mfa_code(raw, source="--mfa-token", profile="admin") == raw.strip()


@pytest.mark.parametrize("raw", ["12345", "1234567", "12345678"])
def test_a_mistyped_code_is_named_in_the_error(raw: str) -> None:
    with pytest.raises(MfaError) as e:
        parse_mfa_code(raw, source="--mfa-token", profile="admin")
    assert str(e.value) == (f"--mfa-token gave {raw!r} for profile 'admin', which is not a 6-digit MFA code")
    assert e.value.hint == "an MFA code is the 6 digits your authenticator shows"


@pytest.mark.parametrize(
    "raw",
    [
        "abcdef",
        "12 456",
        "123456789",  # longer than 8: could be a pasted number that matters
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # 40 chars, shaped like a secret key
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits: isdigit() but not ASCII
        "١٢٣٤٥٦",  # Arabic-Indic digits
    ],
)
def test_anything_else_is_refused_without_showing_it(raw: str) -> None:
    with pytest.raises(MfaError) as e:
        parse_mfa_code(raw, source="the zenity prompt", profile="admin")
    message = f"{e.value} {e.value.hint}"
    assert raw not in message
    assert "not a 6-digit MFA code" in str(e.value)
    assert f"a value of {len(raw)} characters (not shown)" in str(e.value)


def test_nothing_is_called_nothing() -> None:
    with pytest.raises(MfaError, match="^ykman gave nothing for profile 'p', which is not a 6-digit"):
        parse_mfa_code("  \n", source="ykman", profile="p")
