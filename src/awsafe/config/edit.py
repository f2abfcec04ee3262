"""The one writer of ~/.aws/config: append sections at the end, never rewrite the file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from awsafe.errors import ConfigError


def profile_header(profile: str) -> str:
    return "[default]" if profile == "default" else f"[profile {profile}]"


Sections = Sequence[tuple[str, Sequence[tuple[str, str]]]]  # (header, [(key, value), ...])


def render_sections(sections: Sections) -> str:
    return "\n".join(
        header + "\n" + "".join(f"{key} = {value}\n" for key, value in values) for header, values in sections
    )


def append_sections(path: Path, sections: Sections) -> None:
    """Add blocks at the end of the file; existing text is untouched."""
    text = render_sections(sections)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = path.read_bytes() if path.exists() else b""
        separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
        with open(path, "ab") as handle:
            handle.write(separator + (b"\n" if existing else b"") + text.encode())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as e:
        raise ConfigError(f"{path}: cannot add {sections[0][0]} ({e.strerror})") from e


def append_profile_section(path: Path, profile: str) -> None:
    """Add a bare ``[profile NAME]`` (``[default]`` for default)."""
    append_sections(path, [(profile_header(profile), [])])
