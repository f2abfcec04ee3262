"""The text of one section to a Section with the true file line of every key; pure, no I/O.

The INI grammar is the standard library's ``configparser`` (the parser botocore
uses), run on one section at a time; this module adds what configparser does
not keep, the line of each key, and shifts every line it reports by the line
where the section starts in the file.
"""

from __future__ import annotations

import configparser
import dataclasses
import re

from awsafe.config.index import broken_header_error
from awsafe.errors import ConfigError

# configparser's DEFAULT section would silently leak into every profile; AWS
# config files have no such thing, so give it a name nobody can write.
_NO_DEFAULT_SECTION = "\x00awsafe-none"
# The real header was read by the index; configparser gets a stand-in it cannot confuse.
_STAND_IN = "\x00awsafe-section"
_KEY_LINE = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]")
# A line configparser can only read one way: unindented "key = value" without
# comment characters, or blank. A section of such lines skips configparser.
_PLAIN_LINE = re.compile(r"(?P<key>[^\s=:#;\[][^=:#;\n]*?)[^\S\n]*[=:](?P<value>[^#;\n]*)|[^\S\n]*")
_HEADER_LIKE = re.compile(r"^\s*\[", re.M)


@dataclasses.dataclass(frozen=True)
class Section:
    """One ``[profile X]``, ``[default]`` or ``[sso-session X]`` block."""

    kind: str  # "profile" or "sso-session"
    name: str
    values: dict[str, str]
    path: str
    line: int
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key else self.line
        return f"{self.path}:{line}"


def merge_sections(first: Section, second: Section) -> Section:
    """[default] and [profile default] both name the default profile; the later one wins."""
    return dataclasses.replace(
        second,
        values={**first.values, **second.values},
        key_lines={**first.key_lines, **second.key_lines},
    )


def check_preamble(text: str, path: str) -> None:
    """Only blank lines and comments may come before the first section."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("["):
            raise broken_header_error(path, number, stripped)
        raise ConfigError(
            f"{path}:{number}: text before any section; expected a header such as [profile NAME]"
        )


class SectionParser:
    """Parses section bodies. Keeps spare configparser objects: building one costs
    more than parsing a typical section, and ``list`` parses every section."""

    def __init__(self) -> None:
        self._spare: list[configparser.RawConfigParser] = []

    def parse(self, kind: str, name: str, raw: str, body: str, *, path: str, line: int) -> Section:
        """``body`` is the text after the header line ``[raw]``, which is at ``line``."""
        # The index ends a section at the next good header, so a line in it that
        # starts with [ is a header the index could not read.
        stray = 0 if body.startswith("[") else body.find("\n[") + 1 or None
        if stray is not None:
            stray_line = line + 1 + body.count("\n", 0, stray)
            raise broken_header_error(path, stray_line, body[stray:].split("\n", 1)[0])
        plain = _read_plain(body, line)
        if plain is not None:
            return Section(kind, name, plain[0], path, line, plain[1])
        parser = self._spare.pop() if self._spare else _new_parser()
        try:
            values = _read(parser, body, raw, path, line)
        finally:
            for leftover in parser.sections():
                parser.remove_section(leftover)
            self._spare.append(parser)
        key_lines: dict[str, int] = {}
        for number, text in enumerate(body.split("\n"), start=line + 1):
            key = _KEY_LINE.match(text)
            if key:
                key_lines.setdefault(key.group("key").strip().lower(), number)
        return Section(kind, name, values, path, line, key_lines)


def _read_plain(body: str, line: int) -> tuple[dict[str, str], dict[str, int]] | None:
    """Values and key lines of a section of plain lines, as configparser would read
    them; None when any line needs configparser (comments, indentation, errors)."""
    values: dict[str, str] = {}
    key_lines: dict[str, int] = {}
    for number, text in enumerate(body.split("\n"), start=line + 1):
        plain = _PLAIN_LINE.fullmatch(text)
        if plain is None:
            return None
        if plain["key"] is not None:
            key = plain["key"].lower()
            if key in values:
                return None  # configparser names the duplicate
            values[key] = plain["value"].strip()
            key_lines[key] = number
    return values, key_lines


def _new_parser() -> configparser.RawConfigParser:
    return configparser.RawConfigParser(
        default_section=_NO_DEFAULT_SECTION,
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=("#", ";"),  # configparser needs whitespace before these
        strict=True,
        interpolation=None,
        empty_lines_in_values=False,
    )


def _read(parser: configparser.RawConfigParser, body: str, raw: str, path: str, line: int) -> dict[str, str]:
    """configparser's line N of ``[stand-in] + body`` is line ``line + N - 1`` of the file."""
    try:
        parser.read_string(f"[{_STAND_IN}]\n{body}", source=path)
    except configparser.DuplicateOptionError as e:
        raise ConfigError(
            f"{path}:{line + (e.lineno or 1) - 1}: key {e.option!r} appears twice in [{raw}]"
        ) from e
    except configparser.ParsingError as e:
        number = line + e.errors[0][0] - 1 if e.errors else line
        raise ConfigError(
            f"{path}:{number}: cannot parse this line (expected 'key = value' or [section])"
        ) from e
    except configparser.DuplicateSectionError as e:
        raise _stray_header(body, path, line) from e
    except configparser.Error as e:
        raise ConfigError(f"{path}:{line}: [{raw}] is not a valid section ({e.message})") from e
    if parser.sections() != [_STAND_IN]:
        raise _stray_header(body, path, line)
    return {key: value.strip() for key, value in parser.items(_STAND_IN)}


def _stray_header(body: str, path: str, line: int) -> ConfigError:
    """configparser read an indented line as a header the index did not accept."""
    found = _HEADER_LIKE.search(body)
    offset = found.start() if found else 0
    text = body[offset:].split("\n", 1)[0]
    return broken_header_error(path, line + 1 + body.count("\n", 0, offset), text)
