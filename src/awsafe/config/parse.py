"""Turn the bytes of an AWS config file into lazily parsed sections; pure, no file I/O.

``parse_config`` only checks the encoding and what comes before the first
section; each section is found (``index.py``) and parsed (``section.py``) the
first time it is used, so resolving one profile of a 200,000-profile file reads
three or four sections, not all of them. So an error surfaces when it matters:

- inside a section (a bad line, a repeated key, a bad value): when that section
  is read, so a broken profile no longer breaks commands about other profiles;
- a duplicate section: when that name is looked up, or names are listed;
- a broken header (``[profile x`` without ``]``): when the section it names or
  the one it sits in is read, or names are listed.

Reading every profile (``awsafe list``) therefore meets every error that
awsafe's sections can have; sections awsafe ignores ([plugins], [services ...])
are never parsed. Errors always name the true file:line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from awsafe.config.index import HeaderIndex, Key
from awsafe.config.section import Section, SectionParser, check_preamble, merge_sections
from awsafe.errors import ConfigError

__all__ = ["ConfigFile", "Section", "parse_config"]


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    path: str
    profiles: Mapping[str, Section]
    sso_sessions: Mapping[str, Section]


class _Sections:
    """The index, the parser and the sections parsed so far, shared by both mappings."""

    def __init__(self, data: bytes, path: str) -> None:
        self.data = data
        self.path = path
        self.index = HeaderIndex(data, path)
        self._parser = SectionParser()
        self._parsed: dict[Key, Section | None] = {}

    def check_preamble(self) -> None:
        check_preamble(self.data[: self.index.first_header()].decode(), self.path)

    def get(self, key: Key) -> Section | None:
        if key in self._parsed:
            return self._parsed[key]
        kind, name = key
        section: Section | None = None
        for header in self.index.find(key):
            body = self.data[min(header.end + 1, len(self.data)) : self.index.end_of(header)]
            line = self.index.line_at(header.start)
            parsed = self._parser.parse(kind, name, header.raw, body.decode(), path=self.path, line=line)
            section = parsed if section is None else merge_sections(section, parsed)
        self._parsed[key] = section
        return section


class SectionMap(Mapping[str, Section]):
    """Profiles or SSO sessions by name, in file order; each parsed on first access."""

    def __init__(self, sections: _Sections, kind: str) -> None:
        self._sections = sections
        self._kind = kind

    def __getitem__(self, name: str) -> Section:
        section = self._sections.get((self._kind, name)) if isinstance(name, str) else None
        if section is None:
            raise KeyError(name)
        return section

    def __contains__(self, name: object) -> bool:
        # Existence needs the headers only; the section's body is left unparsed.
        return isinstance(name, str) and bool(self._sections.index.find((self._kind, name)))

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections.index.names(self._kind))

    def __len__(self) -> int:
        return len(self._sections.index.names(self._kind))

    def __repr__(self) -> str:
        return f"<{self._kind} sections of {self._sections.path}>"


def parse_config(text: str | bytes, path: str) -> ConfigFile:
    """Index the text; raise ConfigError (naming file:line) for bytes that are not
    UTF-8 or for text before the first section. Sections are parsed when used."""
    data = text.encode() if isinstance(text, str) else _checked_utf8(text, path)
    if b"\r" in data:  # the universal newlines a text-mode read would have given
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    sections = _Sections(data, path)
    sections.check_preamble()
    return ConfigFile(
        path=path,
        profiles=SectionMap(sections, "profile"),
        sso_sessions=SectionMap(sections, "sso-session"),
    )


def _checked_utf8(data: bytes, path: str) -> bytes:
    if not data.isascii():  # isascii is a fast scan; decoding all of a big file is not
        try:
            data.decode()
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise ConfigError(f"{path}:{line}: not a UTF-8 text file ({e.reason} at byte {e.start})") from e
    return data
