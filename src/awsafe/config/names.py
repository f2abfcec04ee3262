"""Profile and SSO session names for completion, read from the config's bytes at regex speed; pure.

Completing a profile name must answer within a keystroke on a 200,000-profile
file, where the index's full scan (``index.py``, one Python object per
header) takes seconds. This finds the headers as the index does (unindented
``[profile NAME]``, ``[default]``, ``[sso-session NAME]``, an optional
trailing comment) with one regex per kind that starts with a literal, so
``re`` jumps from header to header, and the name's prefix is part of the
regex. It never raises: a broken or duplicate header is the business of the
command that uses the profile, not of the shell offering names. An indented
header, or one with a space after "[", is never offered: rare, and looking for
them would cost more than the search itself.
"""

from __future__ import annotations

import re

KINDS = ("profile", "sso-session")

# After "]": a comment or nothing, then the end of the line. index._HEADER also refuses a "]"
# in a comment that touches the header's "]"; checking that here would cost a third more.
_HEADER_END = rb"\][^\S\n]*(?=[#;\n]|\Z)"
_DEFAULT = rb"\[default[^\S\n]*" + _HEADER_END
# configparser ends a header line at " #" / " ;": such a name is not what the user wrote.
_COMMENT_IN_NAME = re.compile(r"\s[#;]")
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)


def parse_section_names(data: bytes, kind: str, prefix: str = "") -> list[str]:
    """Names of ``kind`` ("profile" or "sso-session") starting with ``prefix``, each once, in
    file order (a [default] section first: it is the profile "default", as [profile default] is)."""
    if kind not in KINDS:
        raise ValueError(f"unknown section kind {kind!r}")
    # A literal first ("\n[profile ") lets re jump between candidate lines, as index.py does;
    # an alternation with \A there would make it try every byte, so line 1 is matched apart.
    head = rb"\[" + kind.encode() + rb"[ ]+(" + re.escape(prefix.encode()) + rb"[^\]\n]*)"
    found = re.findall(rb"\n" + head + _HEADER_END, data)
    first = re.match(head + _HEADER_END, data)
    if first:
        found.insert(0, first[1])
    if kind == "profile" and "default".startswith(prefix) and _has_default(data):
        found.insert(0, b"default")
    # One decode and one split for all: per-name work would cost more than the regex.
    text = b"\n".join(found).decode(errors="replace")
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = _TRAILING_SPACE.sub("", text)  # classify() strips a name's spaces before "]"
    names = text.split("\n") if text else []
    if ("#" in text or ";" in text) and _COMMENT_IN_NAME.search(text):
        names = [name for name in names if not _COMMENT_IN_NAME.search(name)]
    return [name for name in dict.fromkeys(names) if name]  # a duplicate is `list`'s to report


def _has_default(data: bytes) -> bool:
    return bool(re.match(_DEFAULT, data) or re.search(rb"\n" + _DEFAULT, data))
