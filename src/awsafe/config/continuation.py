"""configparser's rule for an indented ``[x]`` line: a header, or part of a value? Pure.

configparser reads an indented ``[x]`` as a section header unless it continues a
multi-line value: deeper than the key that opened the value, with no blank or
comment line between. The index must answer the same way, or awsafe would see
sections the AWS CLI does not (or miss ones it sees). Only indented header-like
lines ever get here, and only the lines since the last blank line, comment or
top-level header are replayed.
"""

from __future__ import annotations

import re

_INLINE_COMMENT = re.compile(rb"(?:^|\s)[#;]")
_SECTION = re.compile(rb"\[.+\]")
_OPTION = re.compile(rb"(.*?)\s*[=:]")


def _value(line: bytes) -> bytes:
    """The line as configparser judges it: comments cut, whitespace stripped."""
    comment = _INLINE_COMMENT.search(line)
    return (line[: comment.start()] if comment else line).strip()


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip())


def continues_a_value(data: bytes, start: int) -> bool:
    """True when configparser would read the line at ``start`` as part of a value."""
    run: list[bytes] = []  # the lines before it, newest first
    pos = start
    while pos > 0:
        previous = data.rfind(b"\n", 0, pos - 1) + 1
        line = data[previous : pos - 1]
        if not _value(line):
            break  # a blank or comment line ends any value
        run.append(line)
        if line.startswith(b"["):
            break  # a top-level header: no value is open after it
        pos = previous
    in_value = False  # configparser's "optname" is set
    level = 0  # indentation of the line that opened the value
    for line in reversed(run):
        indent = _indent(line)
        if in_value and indent > level:
            continue  # a continuation line: changes nothing
        level = indent
        value = _value(line)
        if _SECTION.match(value):
            in_value = False
            continue
        option = _OPTION.match(value)
        if option:
            in_value = bool(option.group(1))
    end = data.find(b"\n", start)
    return in_value and _indent(data[start : end if end >= 0 else len(data)]) > level
