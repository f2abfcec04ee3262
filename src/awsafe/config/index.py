"""Where each section of an AWS config file starts, found without parsing any section; pure.

Generated config files hold hundreds of thousands of sections and a command
uses three or four. So the index works on the file's bytes (never decoding the
whole file) and finds the headers of one section with a regex search for its
name, which runs at memory speed; only iterating over every section visits
every header. It owns which lines are headers, by configparser's rules, and
their file:line; what is inside a section is ``section.py``'s business.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterator

from awsafe.config.continuation import continues_a_value
from awsafe.errors import ConfigError

Key = tuple[str, str]  # (kind, name): ("profile", "dev"), ("sso-session", "corp")

# A header line: optional indentation, [raw], then a comment or nothing. A comment
# right after ']' must not hold a ']' (configparser would read the header up to it).
_HEADER = (
    rb"(?P<indent>[^\S\n]*)\[(?P<raw>[^\]\n]+)\]"
    rb"(?:[^\S\n]+(?:[#;][^\n]*)?|[#;][^\]\n]*)?(?=\n|\Z)"
)
# The leading \n gives re a literal to jump between lines with; line 1 has its own pattern.
_HEADER_FIRST = re.compile(_HEADER)
_HEADER_NEXT = re.compile(rb"\n" + _HEADER)
# For the full scan: a header, or a line starting with [ that is not one (broken).
_ANY_FIRST = re.compile(rb"(?:" + _HEADER + rb"|(?P<broken>\[))")
_ANY_NEXT = re.compile(rb"\n(?:" + _HEADER + rb"|(?P<broken>\[))")
_COMMENT_IN_NAME = re.compile(r"\s[#;]")  # configparser ends the line there
_BROKEN_NAME_END = re.compile(r"\]|\s[#;]")


def classify(header: str) -> Key | None:
    """Map a section header to (kind, name); None for sections awsafe ignores."""
    header = header.strip()
    if header == "default":
        return "profile", "default"
    kind, _, name = header.partition(" ")
    name = name.strip()
    if kind in ("profile", "sso-session") and name:
        return kind, name
    return None


def broken_header_error(path: str, line: int, text: str) -> ConfigError:
    text = text.strip()
    why = "expected [NAME] alone on its line" if "]" in text else "missing ']'"
    return ConfigError(f"{path}:{line}: broken section header {text!r} ({why})")


class Header:
    """One header line. A plain slotted class: the full scan makes one per section."""

    __slots__ = ("raw", "start", "end")

    def __init__(self, raw: str, start: int, end: int) -> None:
        self.raw = raw  # the text between the brackets, as written (the whole line if broken)
        self.start = start  # offset of the header line
        self.end = end  # offset of the newline ending it (or of the end of the file)


@dataclasses.dataclass(frozen=True)
class _Scan:
    """Every header in the file; built only when someone iterates."""

    headers: dict[Key, list[Header]]
    broken: dict[Key, Header]
    names: dict[str, list[str]]  # kind -> names in file order
    first_broken: Header | None


class HeaderIndex:
    """Headers by (kind, name), found on demand and cached; errors name file:line."""

    def __init__(self, data: bytes, path: str) -> None:
        self.data = data
        self.path = path
        self._found: dict[Key, list[Header]] = {}
        self._scan: _Scan | None = None
        self._checked: set[str] = set()  # kinds whose names() had no duplicate
        self._lines: list[tuple[int, int]] = [(0, 1)]  # known (offset, line) pairs, sorted

    def first_header(self) -> int:
        """Offset of the first header line; everything before it is the preamble."""
        return self._next_header(-1)

    def end_of(self, header: Header) -> int:
        """Where the section opened by ``header`` ends: the next header line, or EOF."""
        return self._next_header(header.end)

    def find(self, key: Key) -> list[Header]:
        """The headers of one section, in file order (two only for [default] + [profile
        default]); raises on a duplicate or on a broken header that names it."""
        found = self._found.get(key)
        if found is not None:
            return found
        if self._scan is None:
            headers, broken = self._search(key)
        else:
            headers, broken = self._scan.headers.get(key, []), self._scan.broken.get(key)
        if broken is not None:
            raise broken_header_error(self.path, self.line_at(broken.start), broken.raw)
        first: dict[bool, Header] = {}
        for header in headers:
            form = header.raw.strip() == "default"  # [default] may also be [profile default]
            if form in first:
                raise ConfigError(
                    f"{self.path}:{self.line_at(header.start)}: section [{header.raw}] appears "
                    f"twice (first at line {self.line_at(first[form].start)})"
                )
            first[form] = header
        self._found[key] = headers
        return headers

    def names(self, kind: str) -> list[str]:
        """Every name of a kind in file order. A broken header or a duplicate changes
        which names there are, so these are reported here; errors inside sections are not."""
        scan = self._full()
        if scan.first_broken is not None:
            broken = scan.first_broken
            raise broken_header_error(self.path, self.line_at(broken.start), broken.raw)
        names = scan.names.get(kind, [])
        if kind not in self._checked:
            for name in names:
                if len(scan.headers[kind, name]) > 1:
                    self.find((kind, name))  # raises if duplicates, not [default] twins
            self._checked.add(kind)
        return names

    def line_at(self, offset: int) -> int:
        """1-based line of ``offset``, counting from the nearest offset already known."""
        i = bisect.bisect_left(self._lines, (offset + 1, 0))
        low, low_line = self._lines[i - 1]  # (0, 1) is always there
        if i < len(self._lines) and self._lines[i][0] - offset < offset - low:
            high, high_line = self._lines[i]
            line = high_line - self.data.count(b"\n", offset, high)
        else:
            line = low_line + self.data.count(b"\n", low, offset)
        bisect.insort(self._lines, (offset, line))
        return line

    def _next_header(self, newline: int) -> int:
        """Start of the first header line after the newline at ``newline`` (-1: the top)."""
        if newline < 0:
            header, is_broken = self._header_line(0, _HEADER_FIRST.match(self.data))
            if header is not None and not is_broken:
                return 0
        for match in _HEADER_NEXT.finditer(self.data, max(newline, 0)):
            header, is_broken = self._header_line(match.start() + 1, match)
            if header is not None and not is_broken:
                return header.start
        return len(self.data)

    def _search(self, key: Key) -> tuple[list[Header], Header | None]:
        """Visit only the lines where the name is followed by ``]``, a comment or the
        end of the line, as in a header. Each line is visited at most once, so even a
        name that ends a value in every section (say a role name) costs less than the
        full scan: ~0.5 us a line against ~3 us a header."""
        data = self.data
        needle = key[1].encode()
        if not needle or b"\n" in needle or b"]" in needle:
            return [], None
        headers: list[Header] = []
        broken: Header | None = None
        end = -1
        # A literal first lets re skip ahead much faster than bytes.find does for short names.
        pattern = re.compile(re.escape(needle) + rb"(?=[^\S\n]*(?:[\]#;\n]|\Z))")
        for hit in pattern.finditer(data):
            if hit.start() < end:
                continue  # a second hit on a line already seen
            start = data.rfind(b"\n", 0, hit.start()) + 1
            end = data.find(b"\n", hit.start())
            end = len(data) if end < 0 else end
            if data.find(b"[", start, hit.start()) < 0:
                continue
            header, is_broken = self._header_line(start, _HEADER_FIRST.match(data, start))
            if header is None:
                continue
            if not is_broken and classify(header.raw) == key:
                headers.append(header)
            elif is_broken and broken is None and _broken_key(header.raw) == key:
                broken = header
        return headers, broken

    def _header_line(self, start: int, match: re.Match[bytes] | None) -> tuple[Header | None, bool]:
        """What the line at ``start`` is, given the header regex's match there:
        (header, False), (the line, True) for a broken header, or (None, False)."""
        data = self.data
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if match is not None and match["raw"] is not None:
            raw = match["raw"].decode()
            if not (("#" in raw or ";" in raw) and _COMMENT_IN_NAME.search(raw)):
                if not match["indent"] or not continues_a_value(data, start):
                    return Header(raw, start, end), False
                return None, False
        if data.startswith(b"[", start):
            return Header(data[start:end].decode(), start, end), True
        return None, False

    def _full(self) -> _Scan:
        if self._scan is None:
            self._scan = self._scan_all()
        return self._scan

    def _scan_all(self) -> _Scan:
        headers: dict[Key, list[Header]] = {}
        broken: dict[Key, Header] = {}
        names: dict[str, list[str]] = {}
        first_broken: Header | None = None
        for start, match in self._every_candidate():
            header, is_broken = self._header_line(start, match)
            if header is None:
                continue
            first_broken = header if is_broken and first_broken is None else first_broken
            key = _broken_key(header.raw) if is_broken else classify(header.raw)
            if key is None:
                continue
            if is_broken:
                broken.setdefault(key, header)
                continue
            if key not in headers:
                headers[key] = []
                names.setdefault(key[0], []).append(key[1])
            headers[key].append(header)
        return _Scan(headers, broken, names, first_broken)

    def _every_candidate(self) -> Iterator[tuple[int, re.Match[bytes]]]:
        first = _ANY_FIRST.match(self.data)
        if first:
            yield 0, first
        for match in _ANY_NEXT.finditer(self.data):
            yield match.start() + 1, match


def _broken_key(line: str) -> Key | None:
    """The section a broken header line ``[profile x`` was meant to open."""
    return classify(_BROKEN_NAME_END.split(line.strip()[1:], maxsplit=1)[0])
