"""Turn the text of an AWS config file into sections with line numbers; pure, no file I/O.

The INI grammar itself is the standard library's ``configparser`` (the same
parser botocore uses); this module only adds what configparser does not keep:
the line of each section and key, so that every message can say file:line.
"""

from __future__ import annotations

import configparser
import dataclasses
import re

from awsafe.errors import ConfigError

# configparser's DEFAULT section would silently leak into every profile; AWS
# config files have no such thing, so give it a name nobody can write.
_NO_DEFAULT_SECTION = "\x00awsafe-none"
_SECTION_LINE = re.compile(r"^\s*\[(?P<name>[^\]]*)\]")
_BROKEN_HEADER = re.compile(r"^\[(?![^\]]*\]\s*(?:[#;].*)?$)")
_KEY_LINE = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]")


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


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    path: str
    profiles: dict[str, Section]
    sso_sessions: dict[str, Section]


def _classify(header: str) -> tuple[str, str] | None:
    """Map a section header to (kind, name); None for sections awsafe ignores."""
    header = header.strip()
    if header == "default":
        return "profile", "default"
    kind, _, name = header.partition(" ")
    name = name.strip()
    if kind == "profile" and name:
        return "profile", name
    if kind == "sso-session" and name:
        return "sso-session", name
    return None


def _locate_lines(text: str) -> dict[str, tuple[int, dict[str, int]]]:
    """Line of every section header and of every key in it (first occurrence)."""
    located: dict[str, tuple[int, dict[str, int]]] = {}
    current: dict[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _SECTION_LINE.match(line)
        if header:
            name = header.group("name").strip()
            if name not in located:
                located[name] = (number, {})
            current = located[name][1]
            continue
        key = _KEY_LINE.match(line)
        if key and current is not None:
            current.setdefault(key.group("key").strip().lower(), number)
    return located


def _check_headers(text: str, path: str) -> None:
    """configparser reports a header missing its ``]`` as a confusing later error; catch it first."""
    for number, line in enumerate(text.splitlines(), start=1):
        if _BROKEN_HEADER.match(line):
            raise ConfigError(
                f"{path}:{number}: broken section header {line.strip()!r} (missing ']')"
            )


def parse_config(text: str, path: str) -> ConfigFile:
    """Parse the whole text; raise ConfigError naming file and line on bad syntax."""
    _check_headers(text, path)
    parser = configparser.RawConfigParser(
        default_section=_NO_DEFAULT_SECTION,
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=("#", ";"),  # configparser needs whitespace before these
        strict=True,
        interpolation=None,
        empty_lines_in_values=False,
    )
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as e:
        bad = text.splitlines()[e.lineno - 1].strip() if e.lineno else ""
        what = "broken section header" if bad.startswith("[") else "text before any section"
        raise ConfigError(
            f"{path}:{e.lineno}: {what}; expected a header such as [profile NAME]",
        ) from e
    except configparser.DuplicateSectionError as e:
        raise ConfigError(f"{path}:{e.lineno}: section [{e.section}] appears twice") from e
    except configparser.DuplicateOptionError as e:
        raise ConfigError(
            f"{path}:{e.lineno}: key {e.option!r} appears twice in [{e.section}]"
        ) from e
    except configparser.ParsingError as e:
        line = e.errors[0][0] if e.errors else "?"
        raise ConfigError(
            f"{path}:{line}: cannot parse this line (expected 'key = value' or [section])"
        ) from e
    except configparser.Error as e:
        raise ConfigError(f"{path}: not a valid config file ({e.message})") from e

    lines = _locate_lines(text)
    profiles: dict[str, Section] = {}
    sso_sessions: dict[str, Section] = {}
    for header in parser.sections():
        classified = _classify(header)
        if classified is None:
            continue
        kind, name = classified
        line, key_lines = lines.get(header.strip(), (0, {}))
        section = Section(
            kind=kind,
            name=name,
            values={k: v.strip() for k, v in parser.items(header)},
            path=path,
            line=line,
            key_lines=key_lines,
        )
        target = profiles if kind == "profile" else sso_sessions
        if name in target and kind == "profile" and name == "default":
            # [default] and [profile default] both name the default profile: merge.
            merged = {**target[name].values, **section.values}
            section = dataclasses.replace(section, values=merged)
        target[name] = section
    return ConfigFile(path=path, profiles=profiles, sso_sessions=sso_sessions)
