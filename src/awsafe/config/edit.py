"""The one writer of ~/.aws/config: append sections at the end, never rewrite the file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from awsafe.errors import ConfigError, UsageError
from awsafe.statedir import create_private_dirs

# configparser ends a header at the first ']' and starts a comment at ';' or '#'; a line
# break starts a new line. A name holding one would break the file or inject sections.
_NOT_IN_NAME = frozenset("[];#")


def check_profile_name(name: str) -> str:
    """``name`` if awsafe may write it into a section header; UsageError (never echoing it) if not."""
    if not name.strip():
        raise UsageError("a profile name cannot be empty")
    if name != name.strip():
        raise UsageError("a profile name cannot start or end with a space")
    if any(ch in _NOT_IN_NAME or not ch.isprintable() for ch in name):
        raise UsageError(
            "a profile name cannot contain '[', ']', ';', '#', a line break or another control character"
        )
    return name


def profile_header(profile: str) -> str:
    check_profile_name(profile)
    return "[default]" if profile == "default" else f"[profile {profile}]"


Sections = Sequence[tuple[str, Sequence[tuple[str, str]]]]  # (header, [(key, value), ...])


def render_sections(sections: Sections) -> str:
    for _, values in sections:
        for key, value in values:
            if not (key + value).isprintable():
                raise UsageError(f"the value of {key} cannot hold a line break or a control character")
    return "\n".join(
        header + "\n" + "".join(f"{key} = {value}\n" for key, value in values) for header, values in sections
    )


def _open_for_append(path: Path) -> int:
    """A new config file is 0600 whatever the umask (a line in it can run a program as you,
    ``credential_process``); an existing one keeps the mode its owner gave it."""
    create_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return os.open(path, os.O_WRONLY | os.O_APPEND)
    if os.name == "posix":
        os.fchmod(fd, 0o600)  # the umask may have taken bits away; never adds any
    return fd


def append_sections(path: Path, sections: Sections) -> None:
    """Add blocks at the end of the file; existing text is untouched."""
    text = render_sections(sections)
    try:
        fd = _open_for_append(path)
        existing = path.read_bytes()
        separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
        with os.fdopen(fd, "ab") as handle:
            handle.write(separator + (b"\n" if existing else b"") + text.encode())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as e:
        raise ConfigError(f"{path}: cannot add {sections[0][0]} ({e.strerror})") from e


def append_profile_section(path: Path, profile: str) -> None:
    """Add a bare ``[profile NAME]`` (``[default]`` for default)."""
    append_sections(path, [(profile_header(profile), [])])
