"""Malformed numbers the tests feed to every duration awsafe reads, and the check of their refusal.

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
