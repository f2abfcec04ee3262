"""A plaintext AWS credentials file read line by line, and rendered again without the secret key
lines of chosen profiles, every other byte kept; pure (no file is read or written here).

Two readers must agree before anything moves: a line scanner that knows where each key line
is (so that only those lines are removed), and ``configparser`` (what botocore reads the file
with) for the values. A file they read differently (a value continued on an indented line, a
duplicate section or key) is refused rather than guessed at.
"""

from __future__ import annotations

import configparser
import dataclasses
import re

from awsafe.errors import ConfigError
from awsafe.model import Credentials

ACCESS_KEY = "aws_access_key_id"
SECRET_KEY = "aws_secret_access_key"
SESSION_TOKEN = "aws_session_token"
SECRET_LINES = (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)

# configparser's own patterns: a header ends at the last ']' on the line; an option ends at
# the first '=' or ':'; '#' and ';' start a comment only at the start of a line.
_HEADER = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*(?P<delimiter>[=:])\s*(?P<value>.*)$")


@dataclasses.dataclass
class Section:
    """One ``[name]`` of the file: the lines of its header and of each of its keys (0-based)."""

    name: str
    header_line: int
    keys: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # key -> its lines
    values: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)


@dataclasses.dataclass(frozen=True)
class Found:
    """A profile of the file holding keys: movable long-term keys, or why it is not moved."""

    profile: str
    credentials: Credentials | None  # None: not movable (see ``why``)
    why: str = ""


@dataclasses.dataclass(frozen=True)
class CredentialsText:
    """The file's bytes split into lines (line ends kept) and what the scanner found in them."""

    lines: tuple[bytes, ...]
    sections: tuple[Section, ...]

    def found(self) -> list[Found]:
        """Every section with any key line, in file order."""
        return [_found(section) for section in self.sections if _has_any(section)]

    def render_without(self, profiles: set[str]) -> bytes:
        """The file with the secret key lines of ``profiles`` (and their continuations) left
        out; every other line, its header included, byte for byte."""
        drop: set[int] = set()
        for section in self.sections:
            if section.name in profiles:
                for key in SECRET_LINES:
                    drop.update(section.keys.get(key, []))
        return b"".join(line for number, line in enumerate(self.lines) if number not in drop)


def _has_any(section: Section) -> bool:
    return any(key in section.values for key in SECRET_LINES)


def _found(section: Section) -> Found:
    values = section.values
    if values.get(SESSION_TOKEN):
        return Found(section.name, None, "has aws_session_token: temporary keys, left in the file")
    key_id, secret = values.get(ACCESS_KEY, ""), values.get(SECRET_KEY, "")
    if not key_id or not secret:
        return Found(section.name, None, f"needs both {ACCESS_KEY} and {SECRET_KEY}: left in the file")
    if "\n" in key_id + secret:
        return Found(section.name, None, "a key continued on another line is no key: left in the file")
    return Found(section.name, Credentials(access_key_id=key_id, secret_access_key=secret))


def parse_credentials_text(data: bytes, where: str) -> CredentialsText:
    """Scan ``data`` (a credentials file, named ``where`` in errors) and check the scan against
    configparser. ConfigError, never quoting a value, when the file is not one both read alike."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{where}: not UTF-8 text (byte {e.start}); left as it was") from e
    lines = tuple(data.splitlines(keepends=True))
    sections = _scan([line.decode("utf-8") for line in lines], where)
    _check_with_configparser(text, sections, where)
    return CredentialsText(lines, tuple(sections))


def _scan(lines: list[str], where: str) -> list[Section]:
    sections: list[Section] = []
    current: Section | None = None
    last_key: str | None = None
    key_indent = 0
    for number, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped or stripped[0] in "#;":
            continue  # blank and comment lines stay whatever is dropped around them
        if current is not None and last_key is not None and indent > key_indent:
            current.keys[last_key].append(number)  # a continuation belongs to its key
            current.values[last_key] += "\n" + stripped
            continue
        header = _HEADER.match(stripped)
        if header:
            current = Section(header.group("header"), number)
            sections.append(current)
            last_key = None
            continue
        option = _OPTION.match(stripped)
        if current is None or option is None:
            raise ConfigError(f"{where}:{number + 1}: not a section header or a key line; left as it was")
        last_key = option.group("option").strip().lower()
        key_indent = indent
        current.keys.setdefault(last_key, []).append(number)
        current.values[last_key] = option.group("value").strip()
    return sections


def _check_with_configparser(text: str, sections: list[Section], where: str) -> None:
    parser = configparser.RawConfigParser(default_section="\0none")  # [DEFAULT] is a plain profile
    try:
        parser.read_string(text, source=where)
    except configparser.Error as e:
        # its message quotes the line, which may hold a secret: name only the line number
        line = getattr(e, "lineno", None)
        at = f":{line}" if line else ""
        raise ConfigError(
            f"{where}{at}: cannot be read as an INI file ({type(e).__name__}); left as it was"
        ) from e
    names = [section.name for section in sections]
    if names != parser.sections():
        raise ConfigError(f"{where}: its sections are ambiguous (a duplicate?); left as it was")
    for section in sections:
        for key in SECRET_LINES:
            theirs = parser.get(section.name, key, fallback=None)
            if theirs != section.values.get(key):
                raise ConfigError(
                    f"{where}: [{section.name}] {key} is written in a way awsafe does not rewrite "
                    "(continued on another line?); left as it was"
                )
