"""Malformed input the tests feed to awsafe: numbers for every duration it reads, broken config files.

Python's ``int()`` and ``str.isdigit()`` take "١٢٣" and "²", ``int()`` refuses numbers of more
than 4300 digits with a ValueError of its own, and ``timedelta`` overflows on huge ones: each
of those once reached the user as a traceback, exit 70, or was silently accepted.
"""

from __future__ import annotations

import subprocess

# Each is malformed as a duration: not ASCII digits, or too long to mean anything.
BAD_DURATIONS = {
    "arabic-indic digits": "١٢٣",
    "superscript two": "²",
    "arabic-indic hours": "١h",
    "5000 digits": "9" * 5000,
    "huge hours": "99999999999999h",
    "huge seconds": "99999999999999999999",
}


def one_clean_line(result: subprocess.CompletedProcess[str], code: int, naming: str) -> None:
    """Exit ``code`` and exactly one ``awsafe: `` line naming ``naming``, no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsafe: ") and naming in lines[0], result.stderr
    assert len(lines[0]) < 300  # a 5000-digit value is not echoed whole


# Broken ~/.aws/config texts, each with the end of the one line that must name it (after the path).
MALFORMED_CONFIGS = {
    "garbage": ("\x00\x01 not an ini file at all\n", ":1: text before any section"),
    "broken header": (
        "[profile ok]\nregion = x\n[profile test\nregion = y\n",
        ":3: broken section header",
    ),
    "line without equals": ("[profile test]\nregion = x\njust words\n", ":3: cannot parse"),
    "bad role arn": (
        "[profile test]\nrole_arn = not-an-arn\nsource_profile = test\n",
        ":2: role_arn",
    ),
    "bad duration": (
        "[profile s]\n[profile test]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = s\nduration_seconds = 99999\n",
        ":5: duration_seconds must be between 900 and 43200",
    ),
    "bad session name": (
        "[profile s]\n[profile test]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = s\nrole_session_name = x\n",
        ":5: role_session_name 'x'",
    ),
}


# A well-formed credential_process document, which the tests of its output vary field by field;
# SECRET must never appear in any message about a malformed one.
SECRET = "process-secret-value-0123456789"
GOOD = {
    "Version": 1,
    "AccessKeyId": "ASIAPROCESSPROCESS01",
    "SecretAccessKey": SECRET,
    "SessionToken": "process-session-token",
    "Expiration": "2099-01-01T00:00:00Z",
}
